//! SSH keys for tests: fixed public keys for tests that only register keys, and real key
//! pairs made with `ssh-keygen` (from `PATH`) for tests that connect with OpenSSH.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Ed25519, comment `alice@laptop`; fingerprint [`ED25519_A_FINGERPRINT`].
pub const ED25519_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqAxZlAc40nxXJHDKoXPMsUbtozjEGyeCVJlnbutPPS alice@laptop";
/// Its SHA-256 fingerprint, as `ssh-keygen -lf` prints it.
pub const ED25519_A_FINGERPRINT: &str = "SHA256:sxpkbWQlShw2e69PN9Rd6K8nrJJ51RH8djxulEjF2HQ";
/// Ed25519, comment `bob@desk`.
pub const ED25519_B: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDp6MXgdG27ISuq9cULXygwFw/65RSjwBXtoDHvAguLm bob@desk";
/// ECDSA P-256, no comment.
pub const ECDSA_P256: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHqqc5arYWh41AwTtJxDj8XQPNA1ixdFGVDXNnc3zH6bGJNwhr9O7h/Fi7hXX8BpyrDI4L12PwB/VirISxorVXc=";
/// RSA 2048, comment `ci@build`.
pub const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCobUzkCm4QJScq1rXV9+zwC7dAj5hWWdyRzuXyqM27ij3B7By4Ek95B2dQhLg0FBqn7UIcSqkJAEMJehVgjQ5qCFXhDiNuSmpr2EVBwIXs9giDShWJVImoruujMUsJ9HkzqgbSQaFRA7H16O412Y39x7hBlUaG/3ruFa5gob4HxkdlK1hmd+KwHiMQ3Oj4bJ43ySCQ6Jt5tdlBuucrtoezrqDtNUqM0jhyZhl/5OY59ZLz1l3xDFNIDDoSlhF7+b3PP/mXfNCU2vQRFRfJOiJSfXbI+8cfD+syloo6jZTzEnMFLBsGfEwmQbwrYPcwCZ1FJMBFSjoiwY5gPY5whVHl ci@build";
/// RSA 1024: refused.
pub const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDmk3Ecusg9e2X4OfBw/XnMMTaSUq9mbBWrUGh8LgfjE31gzGVeogVBX7BnXqQbIvtDk8ulnsREyeNuFGwClony14xs5BDcT946AkQEUD2THFla7W1j53kgAILTEYLHOvaJc9PeuAA/cE3zacielW877GbnQm1WoyeDxpoD8bmZew== short";
/// DSA: refused.
pub const DSA: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBAO85osj685C+PVcTMFU6yBw6y+ayU30pmHqZaJ4E3sta4ZDy+4hDQD306QXwi6pCsp49xZT5Ff19ehNQSl5bS+F9P3k8cvYX4Of+hqTleDsl/T5u8lBE1PdSBHUo6tieLhuENYT3OF1UQvTlZBdgcdLjJ2grEYzoli6fOU38HNpbAAAAFQC0E5grxhONiCEhox6Hz0QbGVlCkQAAAIApgpTn8x3dSXMsi7u4USenn06ss902Abns0K+WH3aNm67qRB/eBU5nsi33SujGLYxFLAkFJufIg6iJCZ29o2ygs2I4L4WpICsAAP2lrctbdMzSAA9H78UdGGrgdHUKsTHtYEGwMu51bdi8YcBSEn3dxx+7V/ZZwaBn2+Ie3I0AGwAAAIBcVN89T+Fc2owJ+KUp6xYK/TtXN2M/4wrTJEMmA/A/XbMtQOb9+cZT9SEFHtQg7aplDIGIL/NmPrQWVYzK5GCIKIxkSzvqBZ+c4F+J4BN68y3Pf2QPMKwYWQvoYxUBZO//vhpoZ2zEdY2GfuCEan2FaRJQksNZKwlI3G9k1sELGw== root@vm";

/// A key pair on disk: the private key file (mode 0600, no passphrase) and the public line.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub private: PathBuf,
    pub public: String,
}

/// Makes an Ed25519 key pair named `name` in `dir` with `ssh-keygen`.
pub fn key_pair(dir: &Path, name: &str) -> KeyPair {
    let private = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&private)
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
    let public = std::fs::read_to_string(private.with_extension("pub"))
        .expect("read public key")
        .trim()
        .to_owned();
    KeyPair { private, public }
}

/// `GIT_SSH_COMMAND` for connecting to a test server on `port` with `key`: no agent, no
/// known-hosts file, no configuration of the machine.
pub fn git_ssh_command(key: &KeyPair, port: u16) -> String {
    format!(
        "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -p {port}",
        key.private.display()
    )
}
