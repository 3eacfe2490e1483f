// Captured from Debian 12 (libpam-runtime 1.5.2): the stacks with sss taken out, and as
// `pam-auth-update --enable sss mkhomedir` then wrote them; comments dropped.
enum DebianPAM {
    static let authPlain =
        "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\nauth\toptional\t\t\tpam_cap.so \n"
    static let accountPlain =
        "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \naccount\trequisite\t\t\tpam_deny.so\naccount\trequired\t\t\tpam_permit.so\n"
    static let passwordPlain =
        "password\trequisite\t\t\tpam_pwquality.so retry=3\npassword\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\npassword\trequisite\t\t\tpam_deny.so\npassword\trequired\t\t\tpam_permit.so\n"
    static let sessionPlain =
        "session\t[default=1]\t\t\tpam_permit.so\nsession\trequisite\t\t\tpam_deny.so\nsession\trequired\t\t\tpam_permit.so\nsession\trequired\tpam_unix.so \nsession\toptional\tpam_systemd.so \n"
    static let authWithSSS =
        "auth\t[success=2 default=ignore]\tpam_unix.so nullok\nauth\t[success=1 default=ignore]\tpam_sss.so use_first_pass\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\nauth\toptional\t\t\tpam_cap.so \n"
    static let accountWithSSS =
        "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \naccount\trequisite\t\t\tpam_deny.so\naccount\trequired\t\t\tpam_permit.so\naccount\tsufficient\t\t\tpam_localuser.so \naccount\t[default=bad success=ok user_unknown=ignore]\tpam_sss.so \n"
    static let passwordWithSSS =
        "password\trequisite\t\t\tpam_pwquality.so retry=3\npassword\t[success=2 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\npassword\tsufficient\t\t\tpam_sss.so use_authtok\npassword\trequisite\t\t\tpam_deny.so\npassword\trequired\t\t\tpam_permit.so\n"
    static let sessionWithSSS =
        "session\t[default=1]\t\t\tpam_permit.so\nsession\trequisite\t\t\tpam_deny.so\nsession\trequired\t\t\tpam_permit.so\nsession\trequired\tpam_unix.so \nsession\toptional\t\t\tpam_sss.so \nsession\toptional\tpam_systemd.so \nsession\toptional\t\t\tpam_mkhomedir.so \n"
}
