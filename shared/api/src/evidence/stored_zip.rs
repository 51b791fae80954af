//! The pack's zip: files stored without compression, written by hand (a few kilobytes of code
//! instead of a deflate library in every function that links the API).

use chrono::{DateTime, Datelike, Timelike, Utc};
use p3_domain::london::london_date;

/// A zip of files stored without compression: a few kilobytes of code instead of a deflate
/// library in every function that links the API, for a pack of small HTML files.
pub(super) struct StoredZip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
    time: u16,
    date: u16,
}

impl StoredZip {
    pub(super) fn new(at: DateTime<Utc>) -> Self {
        // MS-DOS date and time, in London (what a person unzipping sees); 1980 at the earliest.
        let local = at.with_timezone(&chrono_london_offset(at));
        let year = local.year().clamp(1980, 2107) as u16;
        StoredZip {
            out: Vec::new(),
            central: Vec::new(),
            count: 0,
            time: ((local.hour() as u16) << 11)
                | ((local.minute() as u16) << 5)
                | (local.second() as u16 / 2),
            date: ((year - 1980) << 9) | ((local.month() as u16) << 5) | local.day() as u16,
        }
    }

    pub(super) fn add(&mut self, name: &str, data: &[u8]) {
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        let size = data.len() as u32;
        let name = name.as_bytes();
        // Local file header: version 2.0, flag bit 11 (UTF-8 names), stored.
        let common = |v: &mut Vec<u8>, s: &Self| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0x0800u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&s.time.to_le_bytes());
            v.extend_from_slice(&s.date.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        let mut local = Vec::with_capacity(30 + name.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut local, self);
        local.extend_from_slice(name);
        self.out.extend_from_slice(&local);
        self.out.extend_from_slice(data);
        // Central directory entry: made by version 2.0 (MS-DOS attributes).
        let mut c = Vec::with_capacity(46 + name.len());
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        common(&mut c, self);
        c.extend_from_slice(&0u16.to_le_bytes()); // comment length
        c.extend_from_slice(&0u16.to_le_bytes()); // disk number
        c.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        c.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name);
        self.central.extend_from_slice(&c);
        self.count += 1;
    }

    pub(super) fn finish(mut self) -> Vec<u8> {
        let start = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&start.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// London's offset from UTC at an instant (UTC or UTC+1).
fn chrono_london_offset(at: DateTime<Utc>) -> chrono::FixedOffset {
    let date = london_date(at);
    for hours in [1, 0] {
        let local = (at + chrono::Duration::hours(hours)).time();
        if p3_domain::london::london_instant(date, local) == at {
            return chrono::FixedOffset::east_opt(hours as i32 * 3600).expect("a valid offset");
        }
    }
    chrono::FixedOffset::east_opt(0).expect("UTC")
}
