//! A real OpenLDAP `slapd` (Debian's `slapd` package; `ldap-utils` for `ldapadd` and
//! `ldapmodify`), started by a test in a temporary directory on free ports: plain LDAP with
//! StartTLS and LDAPS, a certificate signed by a CA generated for the run (`openssl`), the
//! `memberof` overlay, suffix `dc=example,dc=org`, root `cn=admin,dc=example,dc=org` /
//! [`ROOT_PASSWORD`]. Entries are added through the running server, so the overlay keeps
//! `memberOf` up to date. Stopped when dropped. `.ci/run` installs the packages; without
//! them the test fails and says what to install.

use crate::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PASSWORD: &str = "root-secret";

pub struct Slapd {
    dir: tempfile::TempDir,
    child: Child,
    /// Plain LDAP (StartTLS offered).
    pub port: u16,
    /// LDAPS.
    pub tls_port: u16,
}

fn find(program: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p;
        }
    }
    panic!("{program} not found: install Debian's slapd and ldap-utils packages (.ci/run does)");
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const BASE: &str = "dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups
";

impl Slapd {
    /// Starts a directory holding the base entries, then `ldif` added through it.
    pub fn start(ldif: &str) -> Slapd {
        let slapd = find("slapd");
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        std::fs::create_dir(d.join("data")).expect("data directory");
        let openssl =
            |args: &[&str]| run(Command::new("openssl").args(args).current_dir(d), "openssl");
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Hatchery test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .expect("write");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        let p = d.display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {p}/slapd.pid
TLSCACertificateFile {p}/ca.pem
TLSCertificateFile {p}/server.pem
TLSCertificateKeyFile {p}/server.key
sizelimit 1000
database mdb
maxsize 104857600
suffix \"{SUFFIX}\"
rootdn \"{ROOT_DN}\"
rootpw {ROOT_PASSWORD}
directory {p}/data
index uid eq
index member eq
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
"
        );
        std::fs::write(d.join("slapd.conf"), conf).expect("write slapd.conf");
        std::fs::write(d.join("base.ldif"), BASE).expect("write");
        run(
            Command::new(find("slapadd"))
                .args(["-f", "slapd.conf", "-l", "base.ldif"])
                .current_dir(d),
            "slapadd",
        );
        let (port, tls_port) = (free_port(), free_port());
        let child = Command::new(slapd)
            .args([
                "-f",
                "slapd.conf",
                "-h",
                &format!("ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"),
                "-d",
                "0",
            ])
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        let s = Slapd {
            dir,
            child,
            port,
            tls_port,
        };
        // Ready when it answers on both ports (polled, with a deadline).
        let deadline = Instant::now() + Duration::from_secs(20);
        for p in [port, tls_port] {
            while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(Instant::now() < deadline, "slapd did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if !ldif.trim().is_empty() {
            s.add(ldif);
        }
        s
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn client(&self, program: &str, ldif: &str) {
        let file = self.dir.path().join("change.ldif");
        std::fs::write(&file, ldif).expect("write");
        run(
            Command::new(find(program)).args([
                "-x",
                "-H",
                &format!("ldap://127.0.0.1:{}", self.port),
                "-D",
                ROOT_DN,
                "-w",
                ROOT_PASSWORD,
                "-f",
                &file.display().to_string(),
            ]),
            program,
        );
    }

    /// Adds the entries of `ldif` through the server.
    pub fn add(&self, ldif: &str) {
        self.client("ldapadd", ldif);
    }

    /// Applies an LDIF of changes (`changetype: modify`...).
    pub fn modify(&self, ldif: &str) {
        self.client("ldapmodify", ldif);
    }

    /// Stops the server now (a directory that is down).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An `inetOrgPerson` under `ou=people` with `uid`, `mail` and a password.
pub fn person(uid: &str, name: &str, password: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name}\nmail: {uid}@uni.example\nuserPassword: {password}\n\n"
    )
}

/// A `groupOfNames` under `ou=groups` with the given members (uids).
pub fn group(cn: &str, members: &[&str]) -> String {
    let mut s = format!("dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n");
    for m in members {
        s.push_str(&format!("member: uid={m},ou=people,{SUFFIX}\n"));
    }
    s.push('\n');
    s
}

/// The DN of group `cn`.
pub fn group_dn(cn: &str) -> String {
    format!("cn={cn},ou=groups,{SUFFIX}")
}
