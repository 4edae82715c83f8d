use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::{FullName, Target};

use crate::{Error, Oid, Repository, Result};

/// One requested ref change, compare-and-swap on `old`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// Full ref name, like `refs/heads/main`.
    pub name: String,
    /// The value the ref must have now; `None` means it must not exist.
    pub old: Option<Oid>,
    /// The new value; `None` deletes the ref.
    pub new: Option<Oid>,
}

/// Why a ref update did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefUpdateError {
    /// The ref does not hold the expected old value (someone else moved it).
    #[error(
        "the reference changed concurrently (expected {expected}, found {found}); fetch and try again"
    )]
    Changed {
        /// What the caller expected (`none` for absent).
        expected: String,
        /// What the ref holds now (`none` for absent).
        found: String,
    },
    /// The ref name is not acceptable.
    #[error("invalid reference name: {0}")]
    InvalidName(String),
    /// Another ref in the same atomic transaction failed.
    #[error("atomic transaction failed")]
    AtomicFailed,
    /// Anything else (lock contention, I/O).
    #[error("failed to update the reference: {0}")]
    Failed(String),
}

/// Check that `name` is a full ref name git accepts (`refs/...`, no `..`, no control
/// characters, no `.lock` suffix, ...).
pub fn validate_ref_name(name: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidRefName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if !name.starts_with("refs/") {
        return Err(invalid("reference names must start with refs/"));
    }
    if name.len() > 1024 {
        return Err(invalid("too long"));
    }
    gix::validate::reference::name(name.as_bytes().into())
        .map_err(|e| invalid(&format!("{e:#}")))?;
    for component in name.split('/') {
        if component.is_empty() {
            return Err(invalid("empty path component"));
        }
    }
    Ok(())
}

pub(crate) fn system_signature() -> gix::actor::Signature {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    gix::actor::Signature {
        name: "Hatchery".into(),
        email: "hatchery@localhost".into(),
        time: gix::date::Time::new(now, 0),
    }
}

fn describe(v: Option<Oid>) -> String {
    v.map(|o| o.to_string()).unwrap_or_else(|| "none".into())
}

impl Repository {
    /// Apply ref updates, each as a compare-and-swap on its `old` value.
    ///
    /// With `atomic`, all updates happen in one transaction: either all succeed or none is
    /// applied (every result is an error then). Otherwise each update is its own transaction.
    /// `Ok(true)` means the ref changed; `Ok(false)` means it already held the requested
    /// value (a creation raced with an identical one), so nothing changed.
    pub fn update_refs(
        &self,
        updates: &[RefUpdate],
        atomic: bool,
    ) -> Vec<std::result::Result<bool, RefUpdateError>> {
        let repo = self.local();
        let mut results: Vec<Option<std::result::Result<bool, RefUpdateError>>> =
            vec![None; updates.len()];
        let mut edits = Vec::new();
        for (i, u) in updates.iter().enumerate() {
            match to_edit(u) {
                Ok(edit) => edits.push((i, edit)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        if atomic {
            if results.iter().any(Option::is_some) {
                return results
                    .into_iter()
                    .map(|r| r.unwrap_or(Err(RefUpdateError::AtomicFailed)))
                    .collect();
            }
            let (indices, edits): (Vec<usize>, Vec<RefEdit>) = edits.into_iter().unzip();
            match apply(&repo, edits) {
                Ok(applied) => {
                    for (i, changed) in indices.iter().zip(applied) {
                        results[*i] = Some(Ok(changed));
                    }
                }
                Err(message) => {
                    let mut specific = false;
                    for &i in &indices {
                        let current = self.find_ref(&updates[i].name).ok().flatten();
                        results[i] = Some(Err(if current != updates[i].old {
                            specific = true;
                            RefUpdateError::Changed {
                                expected: describe(updates[i].old),
                                found: describe(current),
                            }
                        } else {
                            RefUpdateError::AtomicFailed
                        }));
                    }
                    if !specific && let Some(&first) = indices.first() {
                        results[first] = Some(Err(RefUpdateError::Failed(message)));
                    }
                }
            }
        } else {
            for (i, edit) in edits {
                results[i] = Some(match apply(&repo, vec![edit]) {
                    Ok(applied) => Ok(applied.first().copied().unwrap_or(true)),
                    Err(message) => Err(explain_failure(self, &updates[i], &message)
                        .unwrap_or(RefUpdateError::Failed(message))),
                });
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(RefUpdateError::Failed("not attempted".into()))))
            .collect()
    }
}

fn to_edit(u: &RefUpdate) -> std::result::Result<RefEdit, RefUpdateError> {
    validate_ref_name(&u.name).map_err(|e| RefUpdateError::InvalidName(e.to_string()))?;
    let name = FullName::try_from(u.name.as_str())
        .map_err(|e| RefUpdateError::InvalidName(format!("{e:#}")))?;
    let change = match u.new {
        Some(new) => Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: "push".into(),
            },
            expected: match u.old {
                Some(old) => PreviousValue::MustExistAndMatch(Target::Object(old.to_gix())),
                None => PreviousValue::MustNotExist,
            },
            new: Target::Object(new.to_gix()),
        },
        None => Change::Delete {
            expected: match u.old {
                Some(old) => PreviousValue::MustExistAndMatch(Target::Object(old.to_gix())),
                None => PreviousValue::MustExist,
            },
            log: RefLog::AndReference,
        },
    };
    Ok(RefEdit {
        change,
        name,
        deref: false,
    })
}

/// Apply edits in one transaction; for each edit report whether it changed the ref.
fn apply(repo: &gix::Repository, edits: Vec<RefEdit>) -> std::result::Result<Vec<bool>, String> {
    let wanted: Vec<Option<Target>> = edits
        .iter()
        .map(|e| match &e.change {
            Change::Update { new, .. } => Some(new.clone()),
            Change::Delete { .. } => None,
        })
        .collect();
    let signature = system_signature();
    let mut time_buf = Default::default();
    let applied = repo
        .edit_references_as(edits, Some(signature.to_ref(&mut time_buf)))
        .map_err(|e| format!("{e:#}"))?;
    // The returned edits carry the value seen under the lock as `expected`: an update whose
    // previous value already equals the new one did not change anything.
    Ok(wanted
        .iter()
        .enumerate()
        .map(|(i, new)| match (new, applied.get(i).map(|e| &e.change)) {
            (
                Some(new),
                Some(Change::Update {
                    expected: PreviousValue::MustExistAndMatch(prev),
                    ..
                }),
            ) => prev != new,
            _ => true,
        })
        .collect())
}

/// After a failed transaction, tell whether the ref moved under us.
fn explain_failure(repo: &Repository, u: &RefUpdate, message: &str) -> Option<RefUpdateError> {
    let current = repo.find_ref(&u.name).ok()?;
    if current != u.old {
        return Some(RefUpdateError::Changed {
            expected: describe(u.old),
            found: describe(current),
        });
    }
    if message.is_empty() {
        return None;
    }
    Some(RefUpdateError::Failed(message.to_owned()))
}

impl Repository {
    /// Creates the lightweight tag `refs/tags/<name>` at `commit` (as Gitea does when a
    /// release names a new tag); refused when the tag exists or the name is not a valid
    /// ref name.
    pub fn create_tag(&self, name: &str, commit: Oid) -> std::result::Result<(), RefUpdateError> {
        let full = format!("refs/tags/{name}");
        validate_ref_name(&full).map_err(|e| RefUpdateError::InvalidName(e.to_string()))?;
        let update = RefUpdate {
            name: full,
            old: None,
            new: Some(commit),
        };
        match self.update_refs(&[update], false).pop() {
            Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(e),
            None => Err(RefUpdateError::Failed("no result".into())),
        }
    }

    /// Deletes `refs/tags/<name>` if it still holds `expected` (compare-and-swap).
    pub fn delete_tag(&self, name: &str, expected: Oid) -> std::result::Result<(), RefUpdateError> {
        let update = RefUpdate {
            name: format!("refs/tags/{name}"),
            old: Some(expected),
            new: None,
        };
        match self.update_refs(&[update], false).pop() {
            Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(e),
            None => Err(RefUpdateError::Failed("no result".into())),
        }
    }

    /// The tag `refs/tags/<name>`: its own value and the commit it peels to (`None` when
    /// missing or not leading to a commit).
    pub fn tag_target(&self, name: &str) -> Result<Option<(Oid, Oid)>> {
        let full = format!("refs/tags/{name}");
        if validate_ref_name(&full).is_err() {
            return Ok(None);
        }
        let Some(value) = self.find_ref(&full)? else {
            return Ok(None);
        };
        let repo = self.local();
        Ok(crate::objects::peel_to_commit(&repo, value.to_gix())?
            .map(|commit| (value, Oid::from_gix(&commit))))
    }

    /// Whether the default branch has a file `name` at its root (such as `KEYS`).
    pub fn has_root_file(&self, name: &str) -> Result<bool> {
        let Some(head) = self.default_branch_commit()? else {
            return Ok(false);
        };
        Ok(self
            .entry_at(head.commit, name)?
            .is_some_and(|(_, kind)| kind.is_blob()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_names() {
        assert!(validate_ref_name("refs/heads/main").is_ok());
        assert!(validate_ref_name("refs/tags/v1.0").is_ok());
        assert!(validate_ref_name("HEAD").is_err());
        assert!(validate_ref_name("refs/heads/a..b").is_err());
        assert!(validate_ref_name("refs/heads/x.lock").is_err());
        assert!(validate_ref_name("refs/heads/").is_err());
        assert!(validate_ref_name("refs/heads//x").is_err());
        assert!(validate_ref_name("refs/heads/a b").is_err());
        assert!(validate_ref_name("refs/heads/a\u{7f}").is_err());
        assert!(validate_ref_name("refs/heads/a~1").is_err());
        assert!(validate_ref_name("heads/main").is_err());
    }
}
