use super::*;

fn ldap() -> LdapSettings {
    LdapSettings {
        host: "ldap.example.org".into(),
        user_base: "ou=people,dc=example,dc=org".into(),
        user_filter: "(&(objectClass=person)(uid=%s))".into(),
        ..LdapSettings::default()
    }
}

#[test]
fn filter_values_are_escaped_so_a_name_cannot_change_the_search() {
    let s = ldap().check().unwrap();
    assert_eq!(s.filter_for("ada"), "(&(objectClass=person)(uid=ada))");
    // The classic injection: without escaping this would match every user.
    assert_eq!(
        s.filter_for("*)(uid=*"),
        "(&(objectClass=person)(uid=\\2a\\29\\28uid=\\2a))"
    );
    assert_eq!(escape_filter_value("a\\b\0"), "a\\5cb\\00");
    assert_eq!(escape_filter_value("张三"), "张三");
}

#[test]
fn dn_values_are_escaped() {
    let s = LdapSettings {
        user_dn: "uid=%s,ou=people,dc=example,dc=org".into(),
        ..ldap()
    };
    assert_eq!(s.dn_for("ada"), "uid=ada,ou=people,dc=example,dc=org");
    assert_eq!(
        s.dn_for("x,ou=admins"),
        "uid=x\\,ou\\=admins,ou=people,dc=example,dc=org"
    );
    assert_eq!(escape_dn_value("#a "), "\\#a\\ ");
}

#[test]
fn ldap_settings_are_checked() {
    assert_eq!(
        LdapSettings::default().check(),
        Err(SettingsError::Missing("host"))
    );
    let no_placeholder = LdapSettings {
        user_filter: "(uid=ada)".into(),
        ..ldap()
    };
    assert_eq!(
        no_placeholder.check(),
        Err(SettingsError::NeedsPlaceholder("user_filter"))
    );
    let unbalanced = LdapSettings {
        user_filter: "(uid=%s))(".into(),
        ..ldap()
    };
    assert_eq!(
        unbalanced.check(),
        Err(SettingsError::BadFilter("user_filter"))
    );
    let bind_as_user = LdapSettings {
        user_base: String::new(),
        user_filter: String::new(),
        user_dn: "uid=%s,dc=x".into(),
        ..ldap()
    };
    assert!(bind_as_user.check().is_ok());
    assert_eq!(ldap().url(), "ldap://ldap.example.org:389");
    let tls = LdapSettings {
        security: LdapSecurity::Ldaps,
        host: "::1".into(),
        ..ldap()
    };
    assert_eq!(tls.url(), "ldaps://[::1]:636");
    assert_eq!(ldap().timeout_secs(), 10);
}

#[test]
fn settings_round_trip_and_never_debug_secrets() {
    let s = SourceSettings::Ldap(LdapSettings {
        bind_password: "hunter2".into(),
        ..ldap()
    });
    let json = s.to_json();
    assert_eq!(
        SourceSettings::from_json(SourceKind::Ldap, &json),
        Ok(s.clone())
    );
    assert!(!format!("{s:?}").contains("hunter2"));
    let o = SourceSettings::Oidc(OidcSettings {
        client_secret: "s3cret".into(),
        ..OidcSettings::default()
    });
    assert!(!format!("{o:?}").contains("s3cret"));
    assert_eq!(
        SourceSettings::from_json(SourceKind::Header, "not json"),
        Err(SettingsError::Unreadable)
    );
    // An edit that leaves the secret empty keeps the stored one.
    let mut edited = SourceSettings::Ldap(ldap());
    edited.keep_secrets_from(&s);
    assert!(matches!(edited, SourceSettings::Ldap(l) if l.bind_password == "hunter2"));
}

#[test]
fn header_settings_need_trusted_proxies() {
    let ok = HeaderSettings {
        username_header: "X-Remote-User".into(),
        trusted_proxies: "127.0.0.1/32, ::1/128".into(),
        email_domain: "example.org".into(),
        ..HeaderSettings::default()
    };
    let checked = ok.clone().check().unwrap();
    let trusted = checked.trusted().unwrap();
    assert!(trusted.allows_ip("127.0.0.1".parse().unwrap()));
    assert!(!trusted.allows_ip("10.0.0.1".parse().unwrap()));
    for bad in ["", "*", "proxy.example.org", "10.0.0.0/33"] {
        let s = HeaderSettings {
            trusted_proxies: bad.into(),
            ..ok.clone()
        };
        assert_eq!(
            s.check(),
            Err(SettingsError::Missing("trusted_proxies")),
            "{bad:?}"
        );
    }
    let bad_header = HeaderSettings {
        username_header: "X-User: evil".into(),
        ..ok.clone()
    };
    assert!(bad_header.check().is_err());
    let groups = HeaderSettings {
        groups_separator: ";".into(),
        ..ok
    };
    assert_eq!(groups.split_groups(" a; b ;;c"), ["a", "b", "c"]);
}

#[test]
fn mappings_parse_with_dns() {
    let m = parse_mappings(
        "# staff\ncn=staff,ou=groups,dc=example,dc=org -> lab/staff\n\n  students -> lab / students \n",
    )
    .unwrap();
    assert_eq!(
        m,
        [
            GroupMapping {
                group: "cn=staff,ou=groups,dc=example,dc=org".into(),
                org: "lab".into(),
                team: "staff".into()
            },
            GroupMapping {
                group: "students".into(),
                org: "lab".into(),
                team: "students".into()
            }
        ]
    );
    assert_eq!(parse_mappings(&format_mappings(&m)).unwrap(), m);
    assert_eq!(parse_mappings("a -> b").unwrap_err().line, 1);
    assert_eq!(parse_mappings("ok -> a/b\n -> a/b").unwrap_err().line, 2);
    assert!(parse_mappings("g -> a/b/c").is_err());
}

#[test]
fn team_changes_touch_only_managed_teams() {
    let managed = vec![
        ("CN=Staff,dc=x".to_owned(), 1),
        ("cn=students,dc=x".to_owned(), 2),
        ("cn=everyone,dc=x".to_owned(), 1),
    ];
    // In staff (case differs), not in students; team 9 is not managed and stays.
    let current: BTreeSet<i64> = [2, 9].into_iter().collect();
    let (add, remove) = team_changes(&managed, &["cn=staff,dc=x".into()], &current);
    assert_eq!(add, [1]);
    assert_eq!(remove, [2]);
    // Idempotent: nothing to do once applied.
    let now: BTreeSet<i64> = [1, 9].into_iter().collect();
    let (add, remove) = team_changes(&managed, &["cn=staff,dc=x".into()], &now);
    assert!(add.is_empty() && remove.is_empty());
    // A team reached by two groups stays while one of them holds.
    let (_, remove) = team_changes(&managed, &["cn=everyone,dc=x".into()], &now);
    assert!(remove.is_empty());
    assert!(in_group(&["CN=Admins".into()], "cn=admins"));
}

#[test]
fn external_names_become_account_names() {
    assert_eq!(account_name_for("ada").unwrap().as_str(), "ada");
    assert_eq!(account_name_for("ada@uni.example").unwrap().as_str(), "ada");
    assert_eq!(
        account_name_for("Ada Lovelace").unwrap().as_str(),
        "Ada-Lovelace"
    );
    assert!(account_name_for("").is_none());
    assert!(account_name_for("***").is_none());
}

#[test]
fn two_factor_requirement() {
    assert_eq!(
        TwoFactorRequirement::parse("ADMINS"),
        Some(TwoFactorRequirement::Admins)
    );
    assert_eq!(TwoFactorRequirement::parse("sometimes"), None);
    assert!(TwoFactorRequirement::All.applies_to(false));
    assert!(!TwoFactorRequirement::Admins.applies_to(false));
    assert!(TwoFactorRequirement::Admins.applies_to(true));
    assert!(!TwoFactorRequirement::Off.applies_to(true));
    assert_eq!(normalize_code(" 123 456 "), "123456");
    assert_eq!(normalize_code("ABCD-efgh"), "abcdefgh");
    assert!(plausible_login("ada"));
    assert!(!plausible_login(" "));
    assert!(!plausible_login("a\nb"));
}
