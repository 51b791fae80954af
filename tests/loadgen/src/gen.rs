//! Realistic, distinct complaint data and a small deterministic random generator.

use chrono::{DateTime, Utc};
use p3_domain::access;
use p3_domain::case::{Actor, Case, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, ComplaintForm, DEFAULT_CATEGORIES};
use p3_domain::policy::HOUSING;
use serde_json::{json, Value};

/// SplitMix64: small, fast and good enough to pick samples and vary generated data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator with a fixed seed (reproducible data).
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator seeded from the clock (a different sample each run).
    pub fn from_time() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed);
        Rng(nanos ^ u64::from(std::process::id()).rotate_left(32))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Ten random bytes, e.g. for an access code.
    pub fn bytes10(&mut self) -> [u8; 10] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    }

    /// `k` distinct indexes out of `0..n`, in random order.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below((n - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(k);
        all
    }
}

const FIRST: [&str; 24] = [
    "Ada", "Ben", "Chloe", "Dev", "Eleanor", "Femi", "Grace", "Harry", "Imran", "Jess", "Kwame",
    "Lily", "Mohammed", "Niamh", "Oliver", "Priya", "Quentin", "Rosa", "Sam", "Tomasz", "Uma",
    "Victor", "Wen", "Yusuf",
];
const LAST: [&str; 24] = [
    "Adeyemi",
    "Brown",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Murphy",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Smith",
    "Taylor",
    "Usman",
    "Walker",
    "Young",
    "Zielinski",
];
const OUTWARD: [&str; 16] = [
    "SW1A", "M1", "B33", "LS1", "BS1", "NE1", "CR2", "E14", "N7", "SE15", "L8", "G2", "CF10",
    "EH1", "BT1", "DN55",
];
const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
const THINGS: [(&str, &str); 12] = [
    ("boiler", "kitchen"),
    ("shower", "bathroom"),
    ("window frame", "bedroom"),
    ("extractor fan", "bathroom"),
    ("front door lock", "hallway"),
    ("ceiling", "living room"),
    ("radiator", "bedroom"),
    ("kitchen tap", "kitchen"),
    ("toilet cistern", "bathroom"),
    ("communal light", "stairwell"),
    ("back door", "kitchen"),
    ("smoke alarm", "hallway"),
];
const PROBLEMS: [&str; 6] = [
    "stopped working",
    "been leaking",
    "been letting in water",
    "broken twice",
    "been making a loud noise",
    "been growing black mould",
];
const IMPACTS: [&str; 5] = [
    "My children are cold at night.",
    "We cannot use the room at all.",
    "My mother is elderly and unwell.",
    "I have had to take days off work.",
    "The damp is spreading to the walls.",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The fields of complaint number `i`: distinct name/email/postcode/description per `i`.
pub struct Complaint {
    pub name: String,
    pub email: String,
    pub postcode: String,
    pub description: String,
    pub category: &'static str,
}

/// Complaint number `i`.
pub fn complaint(i: u64) -> Complaint {
    let first = FIRST[(i % 24) as usize];
    let last = LAST[((i / 24) % 24) as usize];
    let outward = OUTWARD[((i / 7) % 16) as usize];
    let l1 = INWARD_LETTERS[((i / 3) % 20) as usize] as char;
    let l2 = INWARD_LETTERS[((i / 60) % 20) as usize] as char;
    let (thing, room) = THINGS[((i / 5) % 12) as usize];
    let problem = PROBLEMS[((i / 11) % 6) as usize];
    let impact = IMPACTS[((i / 13) % 5) as usize];
    let month = MONTHS[((i / 17) % 12) as usize];
    let flat = 1 + i % 180;
    let description = format!(
        "Since {month} the {thing} in the {room} of flat {flat} has {problem}. I reported it \
         under repair job R{job:07} but nobody has come out to fix it. {impact} Please send \
         someone this week.",
        job = 1_000_000 + i
    );
    Complaint {
        name: format!("{first} {last}"),
        email: format!(
            "{}.{}{i}@example.org",
            first.to_ascii_lowercase(),
            last.replace('\'', "").to_ascii_lowercase()
        ),
        postcode: format!("{outward} {}{l1}{l2}", i % 10),
        description,
        category: "repairs",
    }
}

impl Complaint {
    /// The JSON body of `POST /complaints`.
    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "email": self.email,
            "postcode": self.postcode,
            "description": self.description,
            "category": self.category,
        })
    }

    /// The validated details, exactly as the public endpoint would build them.
    pub fn details(&self) -> ComplaintDetails {
        let categories: Vec<String> = DEFAULT_CATEGORIES.iter().map(|c| c.to_string()).collect();
        ComplaintForm {
            name: Some(self.name.clone()),
            email: Some(self.email.clone()),
            postcode: Some(self.postcode.clone()),
            description: Some(self.description.clone()),
            category: Some(self.category.to_string()),
            ..Default::default()
        }
        .validate(Channel::Web, &categories)
        .expect("generated complaints are valid")
    }
}

/// A new case as the public form logs it (received from the resident, with an access code).
pub fn open_case(reference: &str, i: u64, at: DateTime<Utc>, rng: &mut Rng, rules: &Rules) -> Case {
    let code = access::format_code(rng.bytes10());
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: complaint(i).details(),
        service_request: None,
        access_code_hash: Some(access::hash_code(&code)),
        first_contact_resolution: None,
    };
    let actor = Actor {
        by: "resident".into(),
        at,
        now: at,
    };
    Case::open(reference, new, &actor, rules).expect("generated cases open")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complaints_are_valid_distinct_and_about_200_characters() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..5_000 {
            let c = complaint(i);
            let _ = c.details();
            assert!(
                (150..=260).contains(&c.description.len()),
                "{}",
                c.description
            );
            assert!(seen.insert(c.description.clone()));
        }
    }

    #[test]
    fn samples_are_distinct() {
        let mut rng = Rng::new(7);
        let s = rng.sample(1000, 500);
        let set: std::collections::HashSet<_> = s.iter().collect();
        assert_eq!(set.len(), 500);
        assert!(s.iter().all(|&i| i < 1000));
    }
}
