//! How each event changes the case: the case is the fold of its history, event by event.

use super::*;

impl Case {
    /// Folds one event into the case.
    pub fn apply(&mut self, rec: EventRecord) {
        let at = rec.at;
        match &rec.event {
            CaseEvent::Received {
                procedure,
                complaint,
                service_request,
                access_code_hash,
            } => {
                self.procedure = procedure.clone();
                self.complaint = complaint.clone();
                self.received_at = at;
                self.service_request = service_request.clone();
                self.access_code_hash = access_code_hash.clone();
                self.stages = vec![StageRecord {
                    number: 1,
                    started_at: at,
                    request: None,
                    acknowledgement: None,
                    extensions: Vec::new(),
                    response: None,
                    point_revisions: Vec::new(),
                    reassignments: Vec::new(),
                }];
            }
            CaseEvent::ResolvedAtFirstContact { outcome, summary } => {
                if let Some(s) = self.stages.first_mut() {
                    s.acknowledgement = Some(Acknowledgement {
                        at,
                        handler: rec.by.clone(),
                        complaint_points: Vec::new(),
                        responsible_for: None,
                        not_responsible_for: None,
                    });
                    s.response = Some(IssuedResponse {
                        at,
                        by: rec.by.clone(),
                        first_contact: true,
                        response: StageResponse {
                            outcome: *outcome,
                            summary: summary.clone(),
                            remedy: None,
                            point_decisions: Vec::new(),
                            actions: Vec::new(),
                            compensation_pence: None,
                            learning: None,
                        },
                    });
                }
            }
            CaseEvent::Acknowledged {
                stage,
                handler,
                complaint_points,
                responsible_for,
                not_responsible_for,
            } => {
                if let Some(s) = self.stage_mut(*stage) {
                    s.acknowledgement = Some(Acknowledgement {
                        at,
                        handler: handler.clone(),
                        complaint_points: complaint_points.clone(),
                        responsible_for: responsible_for.clone(),
                        not_responsible_for: not_responsible_for.clone(),
                    });
                }
            }
            CaseEvent::Extended {
                stage,
                working_days,
                reason,
            } => {
                let by = rec.by.clone();
                if let Some(s) = self.stage_mut(*stage) {
                    s.extensions.push(Extension {
                        at,
                        working_days: *working_days,
                        reason: reason.clone(),
                        by,
                    });
                }
            }
            CaseEvent::Responded { stage, response } => {
                let by = rec.by.clone();
                for a in &response.actions {
                    let number = self.actions.len() as u16 + 1;
                    self.actions.push(TrackedAction {
                        number,
                        source: ActionSource::Response { stage: *stage },
                        description: a.description.clone(),
                        owner: a.owner.clone().unwrap_or_else(|| by.clone()),
                        due: a.due,
                        promised_at: at,
                        stage: *stage,
                        completed: None,
                    });
                }
                if let Some(pence) = response.compensation_pence.filter(|p| *p > 0) {
                    let number = self.compensation.len() as u16 + 1;
                    self.compensation.push(CompensationOffer {
                        number,
                        amount_pence: pence,
                        reason: format!("Offered in the Stage {stage} response"),
                        offered_at: at,
                        stage: Some(*stage),
                        answer: None,
                        paid: None,
                    });
                }
                if let Some(s) = self.stage_mut(*stage) {
                    s.response = Some(IssuedResponse {
                        at,
                        by,
                        first_contact: false,
                        response: response.clone(),
                    });
                }
            }
            CaseEvent::EscalationRequested {
                stage,
                reason,
                late,
                through,
            } => {
                self.stages.push(StageRecord {
                    number: *stage,
                    started_at: at,
                    request: Some(StageRequest {
                        reason: reason.clone(),
                        late: *late,
                        through: *through,
                    }),
                    acknowledgement: None,
                    extensions: Vec::new(),
                    response: None,
                    point_revisions: Vec::new(),
                    reassignments: Vec::new(),
                });
            }
            CaseEvent::Refused {
                stage,
                ground,
                explanation,
            } => {
                self.refusal = Some(Refusal {
                    at,
                    stage: *stage,
                    ground: *ground,
                    explanation: explanation.clone(),
                });
            }
            CaseEvent::Withdrawn { reason } => {
                self.withdrawal = Some(Withdrawal {
                    at,
                    reason: reason.clone(),
                });
            }
            CaseEvent::OmbudsmanReferred { detail } => {
                self.ombudsman.push(OmbudsmanRecord {
                    event: "referred".into(),
                    at,
                    detail: detail.clone(),
                });
            }
            CaseEvent::OmbudsmanDetermination { detail } => {
                self.ombudsman.push(OmbudsmanRecord {
                    event: "determination".into(),
                    at,
                    detail: detail.clone(),
                });
            }
            CaseEvent::PointsRevised {
                stage,
                complaint_points,
                reason,
            } => {
                let by = rec.by.clone();
                if let Some(s) = self.stage_mut(*stage) {
                    if let Some(ack) = s.acknowledgement.as_mut() {
                        let before =
                            std::mem::replace(&mut ack.complaint_points, complaint_points.clone());
                        s.point_revisions.push(PointsRevision {
                            at,
                            by,
                            before,
                            reason: reason.clone(),
                        });
                    }
                }
            }
            CaseEvent::Reassigned {
                stage,
                handler,
                reason,
            } => {
                let by = rec.by.clone();
                if let Some(s) = self.stage_mut(*stage) {
                    if let Some(ack) = s.acknowledgement.as_mut() {
                        let from = std::mem::replace(&mut ack.handler, handler.clone());
                        s.reassignments.push(Reassignment {
                            at,
                            by,
                            from,
                            to: handler.clone(),
                            reason: reason.clone(),
                        });
                    }
                }
            }
            CaseEvent::NeedsRecorded { needs } => self.needs = Some(needs.clone()),
            CaseEvent::ContactPreferencesSet { preferences } => {
                self.contact = preferences.clone();
            }
            CaseEvent::RepresentativeSet { representative } => {
                self.complaint.representative = representative.clone();
            }
            CaseEvent::ActionCompleted { action, note } => {
                let by = rec.by.clone();
                if let Some(a) = self.actions.iter_mut().find(|a| a.number == *action) {
                    a.completed = Some(Completion {
                        at,
                        by,
                        note: note.clone(),
                    });
                }
            }
            CaseEvent::CompensationOffered {
                amount_pence,
                reason,
            } => {
                let number = self.compensation.len() as u16 + 1;
                self.compensation.push(CompensationOffer {
                    number,
                    amount_pence: *amount_pence,
                    reason: reason.clone(),
                    offered_at: at,
                    stage: None,
                    answer: None,
                    paid: None,
                });
            }
            CaseEvent::CompensationAnswered { offer, accepted } => {
                if let Some(o) = self.compensation.iter_mut().find(|o| o.number == *offer) {
                    o.answer = Some((at, *accepted));
                }
            }
            CaseEvent::CompensationPaid {
                offer,
                payment_reference,
            } => {
                if let Some(o) = self.compensation.iter_mut().find(|o| o.number == *offer) {
                    o.paid = Some((at, payment_reference.clone()));
                }
            }
            CaseEvent::OmbudsmanOrdered {
                description,
                due,
                owner,
            } => {
                let number = self.actions.len() as u16 + 1;
                let stage = self.current_stage().number;
                self.actions.push(TrackedAction {
                    number,
                    source: ActionSource::OmbudsmanOrder,
                    description: description.clone(),
                    owner: owner.clone(),
                    due: *due,
                    promised_at: at,
                    stage,
                    completed: None,
                });
            }
            CaseEvent::LetterIssued { letter } => {
                self.letters.push(LetterRecord {
                    number: letter.number,
                    kind: letter.kind,
                    stage: letter.stage,
                    issued_at: rec.recorded_at,
                    subject: letter.subject.clone(),
                    to: letter.to.clone(),
                });
            }
            // The earlier events were rewritten without the personal data; nothing else moves.
            CaseEvent::Anonymised { .. } => {}
            e @ CaseEvent::NoteAdded { .. } => {
                crate::note::apply(self, rec.sequence, at, &rec.by, e);
            }
            e @ CaseEvent::CorrespondenceLogged { .. } => {
                crate::correspondence::apply(self, rec.sequence, (at, rec.recorded_at), &rec.by, e);
            }
            e @ CaseEvent::AttachmentAdded { .. } => {
                crate::attachment::apply(self, rec.sequence, at, &rec.by, e);
            }
            e @ (CaseEvent::UpdateIntervalAgreed { .. }
            | CaseEvent::UpdateGiven { .. }
            | CaseEvent::ActionMoved { .. }) => crate::updates::apply(self, e),
            e @ (CaseEvent::RestrictionRecorded { .. } | CaseEvent::RestrictionReviewed { .. }) => {
                crate::restriction::apply(self, at, &rec.by, e)
            }
        }
        self.version = rec.sequence;
        self.history.push(rec);
    }

    fn stage_mut(&mut self, number: u8) -> Option<&mut StageRecord> {
        self.stages.get_mut(usize::from(number).checked_sub(1)?)
    }
}
