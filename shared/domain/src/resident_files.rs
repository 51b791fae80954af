//! A resident's files sent with their complaint or their Stage 2 request (issue 15 item 5):
//! up to [`MAX_RESIDENT_FILES`], each fetched from the slot of the upload inbox it was posted
//! into (or sent with the request itself, from a page's form), checked as any other file
//! ([`crate::attachment::check`]), kept under a new id and recorded as `AttachmentAdded` by the
//! resident in the same write as the complaint or the request: all or nothing. The slots are
//! discarded only once that write succeeded, so a refused request loses no file, and a file
//! kept for a write that failed is removed again.

use crate::attachment::{self, is_id, AttachmentStore, CheckedFile, Upload, MAX_RESIDENT_FILES};
use crate::case::{Actor, Case, Command, CommandError, NewCase};
use crate::inbox::{InboxFile, UploadInbox};
use crate::london::london_date;
use crate::ports::{StoreError, StoredReply};
use crate::resident_asks::{open_with_asks, ResidentAsks};
use crate::role::Caller;
use crate::service::{IdempotencyKey, Service, ServiceError, Written};
use crate::validation::ValidationErrors;
use chrono::Datelike;

/// The field a request names its files in (`attachments[i]` for one of them).
pub const FIELD: &str = "attachments";

/// Where a resident's files come from and where they are kept.
pub struct ResidentFiles<'a> {
    /// The inbox the slots name.
    pub inbox: &'a dyn UploadInbox,
    /// Where the case's files are kept.
    pub store: &'a dyn AttachmentStore,
    /// The inbox slots the request names, in order.
    pub slots: Vec<String>,
    /// Files that came with the request itself (a page's form), after the slots.
    pub sent: Vec<InboxFile>,
}

impl ResidentFiles<'_> {
    /// True when the request names no file.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty() && self.sent.is_empty()
    }
}

/// Checks a request's list of slots before anything is fetched: at most
/// [`MAX_RESIDENT_FILES`], each a slot the service could have named, none twice.
pub fn check_slots(slots: &[String]) -> Result<(), ValidationErrors> {
    let mut e = ValidationErrors::new();
    if slots.len() > MAX_RESIDENT_FILES {
        e.add(
            FIELD,
            format!("Send at most {MAX_RESIDENT_FILES} files with your complaint or request"),
        );
        return e.into_result();
    }
    for (i, slot) in slots.iter().enumerate() {
        if !is_id(slot) {
            e.add(
                &format!("{FIELD}[{i}]"),
                "This is not an upload slot the service handed out",
            );
        } else if slots[..i].contains(slot) {
            e.add(&format!("{FIELD}[{i}]"), "This file is named twice");
        }
    }
    e.into_result()
}

/// A file fetched, checked and given its id, ready to be kept.
struct Ready {
    slot: Option<String>,
    id: String,
    file: CheckedFile,
    bytes: Vec<u8>,
}

/// Fetches and checks every file; every fault is named on `attachments[i]`.
async fn gather(service: &Service, files: &ResidentFiles<'_>) -> Result<Vec<Ready>, ServiceError> {
    check_slots(&files.slots).map_err(CommandError::Invalid)?;
    let mut e = ValidationErrors::new();
    if files.slots.len() + files.sent.len() > MAX_RESIDENT_FILES {
        e.add(
            FIELD,
            format!("Send at most {MAX_RESIDENT_FILES} files with your complaint or request"),
        );
        return Err(CommandError::Invalid(e).into());
    }
    let mut arrived = Vec::new();
    for (i, slot) in files.slots.iter().enumerate() {
        let field = format!("{FIELD}[{i}]");
        if let Some(f) = crate::inbox::arrived(files.inbox, slot, &field, &mut e).await? {
            arrived.push((i, Some(slot.clone()), f));
        }
    }
    let first_sent = files.slots.len();
    arrived.extend(
        files
            .sent
            .iter()
            .cloned()
            .enumerate()
            .map(|(j, f)| (first_sent + j, None, f)),
    );
    let mut ready = Vec::new();
    for (i, slot, f) in arrived {
        let upload = Upload {
            filename: f.filename,
            bytes: f.bytes,
            description: String::new(),
        };
        match attachment::check(&upload) {
            Ok(file) => ready.push(Ready {
                slot,
                id: attachment::new_id(service.random.bytes10()),
                file,
                bytes: upload.bytes,
            }),
            Err(errors) => {
                for fe in errors.errors {
                    e.add(&format!("{FIELD}[{i}]"), fe.message);
                }
            }
        }
    }
    e.into_result().map_err(CommandError::Invalid)?;
    Ok(ready)
}

/// Keeps every file under the case, removing those kept if one fails.
async fn keep(
    store: &dyn AttachmentStore,
    reference: &str,
    ready: &[Ready],
) -> Result<(), StoreError> {
    for (n, r) in ready.iter().enumerate() {
        if let Err(e) = store.put(reference, &r.id, r.bytes.clone()).await {
            unkeep(store, reference, &ready[..n]).await;
            return Err(e);
        }
    }
    Ok(())
}

/// Removes files kept for a write that did not happen.
async fn unkeep(store: &dyn AttachmentStore, reference: &str, ready: &[Ready]) {
    for r in ready {
        if let Err(e) = store.delete(reference, &r.id).await {
            tracing::error!(reference, attachment = %r.id, error = %e, "a resident's file whose record failed could not be removed");
        }
    }
}

/// Forgets the slots once their files are kept with the case.
async fn discard(inbox: &dyn UploadInbox, ready: &[Ready]) {
    let slots: Vec<&str> = ready.iter().filter_map(|r| r.slot.as_deref()).collect();
    crate::inbox::discard_all(inbox, &slots).await;
}

fn commands(ready: &[Ready]) -> Vec<Command> {
    ready
        .iter()
        .map(|r| Command::AddAttachment {
            id: r.id.clone(),
            file: r.file.clone(),
        })
        .collect()
}

/// The resident's limit of files is checked by the command on `file`; the request names them
/// on `attachments`.
fn rename_file_field(e: ServiceError) -> ServiceError {
    crate::inbox::name_file_as(e, FIELD)
}

impl Service {
    /// A new complaint from the resident with the files they sent, in one write:
    /// [`Service::create_case_asking`] when they sent none.
    pub async fn create_case_with_files(
        &self,
        mut new: NewCase,
        asks: ResidentAsks,
        files: ResidentFiles<'_>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&Case, &str) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        let by = Caller::Resident.by();
        if files.is_empty() {
            return self
                .create_case_asking(new, asks, by, None, idem, render)
                .await;
        }
        if let Some(w) = self.replay(idem).await? {
            return Ok(w);
        }
        let ready = gather(self, &files).await?;
        let now = self.clock.now();
        let actor = Actor {
            by: by.to_string(),
            at: now,
            now,
        };
        let code = crate::access::format_code(self.random.bytes10());
        new.access_code_hash = Some(crate::access::hash_code(&code));
        let reference = self.store.next_reference(london_date(now).year()).await?;
        let mut case = open_with_asks(&reference, new, asks, &actor, &self.rules)?;
        for command in commands(&ready) {
            case = case
                .execute(command, &actor, &self.rules)
                .map_err(|e| rename_file_field(e.into()))?
                .0;
        }
        let reply = render(&case, &code);
        let events = case.history.clone();
        keep(files.store, &reference, &ready).await?;
        match self
            .persist(0, case.clone(), events, idem, reply.clone(), now)
            .await
        {
            Ok(()) => {
                discard(files.inbox, &ready).await;
                Ok(Written {
                    case: Some(case),
                    reply,
                    access_code: Some(code),
                })
            }
            Err(e) => {
                unkeep(files.store, &reference, &ready).await;
                match e {
                    StoreError::DuplicateKey => {
                        self.replay(idem).await?.ok_or(ServiceError::KeyReused)
                    }
                    e => Err(e.into()),
                }
            }
        }
    }

    /// Runs the resident's `command` on their case (a Stage 2 request) with the files they
    /// sent, in one write: [`Service::act`] when they sent none.
    pub async fn act_with_files(
        &self,
        reference: &str,
        command: Command,
        files: ResidentFiles<'_>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&Case) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        let caller = Caller::Resident;
        if files.is_empty() {
            return self
                .act(reference, command, &caller, None, None, idem, render)
                .await;
        }
        if let Some(w) = self.replay(idem).await? {
            return Ok(w);
        }
        let ready = gather(self, &files).await?;
        // The case must exist before anything is kept under its reference.
        if self.store.load(reference).await?.is_none() {
            return Err(ServiceError::NotFound);
        }
        keep(files.store, reference, &ready).await?;
        let mut all = vec![command];
        all.extend(commands(&ready));
        match self
            .act_all(reference, all, &caller, None, None, idem, render)
            .await
        {
            Ok(w) => {
                if w.case.is_some() {
                    discard(files.inbox, &ready).await;
                } else {
                    // A replay: these files were not recorded, the first request's were.
                    unkeep(files.store, reference, &ready).await;
                }
                Ok(w)
            }
            Err(e) => {
                unkeep(files.store, reference, &ready).await;
                Err(rename_file_field(e))
            }
        }
    }
}
