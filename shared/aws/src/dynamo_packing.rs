//! Deflated attributes and the preset dictionaries they are deflated with (a child module of
//! `dynamo.rs`).
//!
//! Every case write pays for its items by the kilobyte, twice (a transaction), and a case
//! item or a letter's event that crosses 1 KB costs a unit more each time. Deflate alone
//! starts every item from nothing; a preset dictionary gives it, before the first byte, what
//! every item shares: the field names of a case's and an event's JSON, and the fixed wording
//! of the default letter templates. A letter's event (about 3.7 KB of JSON) then deflates to
//! about 0.6 KB instead of 1.2, and a case item stays under 1 KB through a whole lifecycle.
//!
//! The format of a binary attribute, by its first byte:
//! - `0xFF`, then a dictionary id (one byte), then a raw deflate stream made with that
//!   dictionary. `0xFF` opens a deflate block of type 3, which does not exist, so no blob
//!   written before dictionaries (or by a build without them) can start with it;
//! - anything else: a raw deflate stream without a dictionary (every item written before
//!   5 December 2026), read as before.
//!
//! A dictionary is compiled in, identified by its id, and never changed once shipped: an item
//! written with it must read back for as long as the table keeps it (years). A better
//! dictionary is a new file with a new id, added beside the old ones, and [`CURRENT`] moves to
//! it; the test `dictionaries_never_change` pins each one's length and Adler-32 checksum.
//! `dictionaries/build.py` says how dictionary 1 was made (the default letter templates with
//! their tags removed, and the JSON of a case and its events with every value that belongs to
//! a person or a case blanked: no personal data is in it).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The first byte of a blob deflated with a preset dictionary (see the module's doc).
const MARKER: u8 = 0xFF;

/// The dictionary new blobs are deflated with.
pub(super) const CURRENT: u8 = 1;

/// Dictionary 1 (5 December 2026). Never edit: add a new file with a new id instead.
const DICTIONARY_1: &[u8] = include_bytes!("dictionaries/1.txt");

/// The dictionary of an id, if this build knows it.
fn dictionary(id: u8) -> Option<&'static [u8]> {
    match id {
        1 => Some(DICTIONARY_1),
        _ => None,
    }
}

/// Deflates `bytes` with dictionary `id` into a blob of the format above.
pub(super) fn pack_with(id: u8, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let dict = dictionary(id).ok_or_else(|| format!("no deflate dictionary {id}"))?;
    let mut z = Compress::new(Compression::best(), false);
    z.set_dictionary(dict).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
    out.extend_from_slice(&[MARKER, id]);
    loop {
        let consumed = z.total_in() as usize;
        out.reserve(bytes.len().max(256));
        match z
            .compress_vec(&bytes[consumed..], &mut out, FlushCompress::Finish)
            .map_err(|e| e.to_string())?
        {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => continue,
        }
    }
}

/// Deflates `bytes` with the current dictionary.
pub(super) fn pack(bytes: &[u8]) -> Result<Vec<u8>, String> {
    pack_with(CURRENT, bytes)
}

/// Inflates a blob of either format (see the module's doc).
pub(super) fn unpack(blob: &[u8]) -> Result<Vec<u8>, String> {
    let mut z = Decompress::new(false);
    let stream = match blob {
        [MARKER, id, rest @ ..] => {
            let dict = dictionary(*id).ok_or_else(|| {
                format!("deflated with dictionary {id}, which this build does not have")
            })?;
            z.set_dictionary(dict).map_err(|e| e.to_string())?;
            rest
        }
        _ => blob,
    };
    let mut out = Vec::with_capacity(stream.len() * 4 + 64);
    loop {
        let consumed = z.total_in() as usize;
        let before = out.len();
        out.reserve(stream.len().max(1024) * 2);
        let status = z
            .decompress_vec(&stream[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| e.to_string())?;
        match status {
            Status::StreamEnd => return Ok(out),
            // Neither input taken nor output made: the stream ends before its end.
            _ if z.total_in() as usize == consumed && out.len() == before => {
                return Err("the deflated data is cut short".into())
            }
            _ => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// What a letter's event holds: the wording of the default templates around a case's own.
    const LETTER_EVENT: &str = r#"{"sequence":5,"at":"2026-11-02T10:14:00.123456789Z","recorded_at":"2026-11-02T10:14:00.123456789Z","by":"imogen@landlord.example","type":"letter_issued","letter":{"number":2,"kind":"stage_response","stage":1,"dated":"2026-11-02","to":[{"role":"resident","name":"Bo Tenant","email":"bo@example.net","address":"1 High Street","delivery":"email"}],"format":"standard","subject":"Our Stage 1 answer to your complaint CMP-2026-00321","html":"<p>Dear Bo Tenant,</p>\n\n<p>This letter is our Stage 1 answer to your complaint <strong>CMP-2026-00321</strong>.</p>\n\n<h2>What you complained about</h2>\n\n<ul>\n<li>Boiler broken for a week</li>\n</ul>\n\n<h2>Our decision</h2>\n<p>We have decided that your complaint is <strong>upheld</strong>. This means we agree that we got things wrong.</p>\n<p>The engineer missed two appointments.</p>\n\n<h2>If you are not happy with this answer</h2>\n<p>You can ask us to look at your complaint again. This is called a Stage 2 review.</p>\n<p>You can also ask the Housing Ombudsman for help at any time. They are independent and their service is free.</p>\n","text":"Dear Bo Tenant,\n\nThis letter is our Stage 1 answer to your complaint CMP-2026-00321.\n\nWhat you complained about\n\n- Boiler broken for a week\n\nOur decision\n\nWe have decided that your complaint is upheld. This means we agree that we got things wrong.\n\nThe engineer missed two appointments.\n\nIf you are not happy with this answer\n\nYou can ask us to look at your complaint again. This is called a Stage 2 review.\n\nYou can also ask the Housing Ombudsman for help at any time. They are independent and their service is free.\n"},"recorded_late":false}"#;

    fn plain_deflate(bytes: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), Compression::best());
        z.write_all(bytes).expect("deflate");
        z.finish().expect("deflate")
    }

    #[test]
    fn a_blob_packed_with_the_dictionary_reads_back_the_same() {
        for text in ["", "{}", LETTER_EVENT, &LETTER_EVENT.repeat(40)] {
            let blob = pack(text.as_bytes()).expect("pack");
            assert_eq!(&blob[..2], &[MARKER, CURRENT]);
            assert_eq!(unpack(&blob).expect("unpack"), text.as_bytes());
        }
    }

    #[test]
    fn a_blob_written_before_dictionaries_still_reads() {
        for text in ["", "{}", LETTER_EVENT] {
            let old = plain_deflate(text.as_bytes());
            assert_ne!(
                old.first(),
                Some(&MARKER),
                "a deflate stream never starts with 0xFF"
            );
            assert_eq!(unpack(&old).expect("unpack"), text.as_bytes());
        }
    }

    #[test]
    fn the_dictionary_halves_a_letter_event() {
        let without = plain_deflate(LETTER_EVENT.as_bytes()).len();
        let with = pack(LETTER_EVENT.as_bytes()).expect("pack").len();
        assert!(
            with * 10 <= without * 7,
            "with the dictionary {with} bytes, without {without}"
        );
    }

    #[test]
    fn an_unknown_dictionary_or_a_cut_blob_is_an_error_not_a_panic() {
        let mut blob = pack(LETTER_EVENT.as_bytes()).expect("pack");
        let cut = blob[..blob.len() / 2].to_vec();
        assert!(unpack(&cut).is_err());
        blob[1] = 200;
        let e = unpack(&blob).expect_err("unknown dictionary");
        assert!(e.contains("dictionary 200"), "{e}");
        assert!(pack_with(200, b"x").is_err());
    }

    /// A shipped dictionary is part of the stored format: changing a byte of it would make
    /// every item written with it unreadable.
    #[test]
    fn dictionaries_never_change() {
        let adler = |d: &[u8]| {
            // A zlib stream (not raw) is what reports the dictionary's Adler-32.
            let mut z = Compress::new(Compression::best(), true);
            z.set_dictionary(d).expect("dictionary")
        };
        assert_eq!(
            (DICTIONARY_1.len(), adler(DICTIONARY_1)),
            (17130, 1_114_288_542)
        );
    }
}
