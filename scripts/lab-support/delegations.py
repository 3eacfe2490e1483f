#!/usr/bin/python3
"""The lab's narrowly delegated join rights, as directory administrators grant them.

  delegations.py ensure             the minimal-rights join user and its OU (idempotent: run on every
                                    `scripts/lab start`, so a lab provisioned before it existed gets them)
  delegations.py prestage NAME [--without RIGHT]
                                    a computer account pre-staged as an administrator does it in ADUC with
                                    "The following user or group can join this computer to a domain";
                                    --without leaves one of the four rights out (reset-password,
                                    account-restrictions, dns-host-name, spn), for tests of a refusal

Both talk to the running DC over LDAP as Administrator (NTLM, signed and sealed by Samba's client), with
the password read from the lab's secrets file: nothing secret is on a command line.

Microsoft's documented minimal join rights (schema GUIDs from MS-ADTS / the AD schema):
  bf967a86-0de6-11d0-a285-00aa003049e2  the computer class
  00299570-246d-11d0-a768-00aa006e0529  User-Force-Change-Password ("Reset password"), a control access right
  4c164200-20c0-11d0-a768-00aa006e0529  User-Account-Restrictions ("Account Restrictions"), a property set
  72e39547-7b18-11d1-adef-00c04fd8d5cd  Validated-DNS-Host-Name ("Validated write to DNS host name")
  f3a64788-5306-11d1-a9c5-0000f80367c1  Validated-SPN ("Validated write to service principal name")
  e0fa1e8c-9b45-11d0-afdd-00c04fd930c9  the dnsNode class (a name in an AD-integrated DNS zone)

The full-control join user also gets "Delete dnsNode objects" on every zone of the domain's DNS partition
(inherited from CN=MicrosoftDNS), as docs/prerequisites.md tells administrators to grant the user that runs
remote leaves and sweeps, so that it can remove the records of the machines it removes; the minimal user
does not, for the test of the refusal.
"""
import os
import sys

import ldb
from samba.credentials import DONT_USE_KERBEROS, Credentials
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.sd_utils import SDUtils

COMPUTER = "bf967a86-0de6-11d0-a285-00aa003049e2"
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"
ACCOUNT_RESTRICTIONS = "4c164200-20c0-11d0-a768-00aa006e0529"
VALIDATED_DNS_HOST_NAME = "72e39547-7b18-11d1-adef-00c04fd8d5cd"
VALIDATED_SPN = "f3a64788-5306-11d1-a9c5-0000f80367c1"
DNS_NODE = "e0fa1e8c-9b45-11d0-afdd-00c04fd930c9"


def minimal_ou_aces(sid):
    """On the OU: create and delete computer objects; on computer objects below it (CIIO, for the
    computer class only), the four rights a join needs."""
    return ("(OA;CI;CCDC;%s;;%s)" % (COMPUTER, sid)
            + "(OA;CIIO;CR;%s;%s;%s)" % (RESET_PASSWORD, COMPUTER, sid)
            + "(OA;CIIO;RPWP;%s;%s;%s)" % (ACCOUNT_RESTRICTIONS, COMPUTER, sid)
            + "(OA;CIIO;SW;%s;%s;%s)" % (VALIDATED_DNS_HOST_NAME, COMPUTER, sid)
            + "(OA;CIIO;SW;%s;%s;%s)" % (VALIDATED_SPN, COMPUTER, sid))


OBJECT_RIGHTS = {
    "reset-password": ("CR", RESET_PASSWORD),
    "account-restrictions": ("RPWP", ACCOUNT_RESTRICTIONS),
    "dns-host-name": ("SW", VALIDATED_DNS_HOST_NAME),
    "spn": ("SW", VALIDATED_SPN),
}


def object_aces(sid, without=None):
    """The same four rights on one object alone (no inheritance flags, no class GUID)."""
    return "".join("(OA;;%s;%s;;%s)" % (rights, guid, sid)
                   for name, (rights, guid) in OBJECT_RIGHTS.items() if name != without)


def read_secret(name):
    with open(os.path.join(os.environ["LAB_SECRETS_DIR"], name + ".password")) as f:
        return f.read().strip()


def connect():
    lp = LoadParm()
    lp.load(os.path.join(os.environ["LAB_DC_DIR"], "etc", "smb.conf"))
    creds = Credentials()
    creds.guess(lp)
    creds.set_username("Administrator")
    creds.set_domain(os.environ["LAB_NETBIOS"])
    creds.set_password(read_secret("admin"))
    creds.set_kerberos_state(DONT_USE_KERBEROS)
    return SamDB(url="ldap://" + os.environ["LAB_DC_IP"], credentials=creds, lp=lp)


def sid_of(db, name):
    res = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s)" % ldb.binary_encode(name), attrs=["objectSid"])
    return str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0])) if len(res) else None


def exists(db, dn):
    try:
        db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["dn"])
        return True
    except ldb.LdbError as error:
        if error.args[0] == ldb.ERR_NO_SUCH_OBJECT:
            return False
        raise


def ensure(db):
    user = os.environ["LAB_MINIMAL_USER"]
    ou = os.environ["LAB_MINIMAL_OU"]
    if not exists(db, ou):
        db.create_ou(ou, description="Computers joined with Microsoft's minimal join rights")
        print("created", ou)
    if sid_of(db, user) is None:
        db.newuser(user, read_secret(user), givenname="Minimal", surname="Joiner")
        db.setexpiry("(&(objectClass=user)(sAMAccountName=%s))" % user, 0, no_expiry_req=True)
        print("created", user)
    sid = sid_of(db, user)
    # dacl_add_ace leaves out the entries the DACL already holds.
    SDUtils(db).dacl_add_ace(ou, minimal_ou_aces(sid))
    print("delegated", ou, "to", user)
    zones = "CN=MicrosoftDNS,DC=DomainDnsZones," + str(db.domain_dn())
    joiner = sid_of(db, os.environ["LAB_JOIN_USER"])
    SDUtils(db).dacl_add_ace(zones, "(OA;CI;DC;%s;;%s)" % (DNS_NODE, joiner))
    print("delegated deleting DNS records in", zones, "to", os.environ["LAB_JOIN_USER"])


def prestage(db, name, without=None):
    """As Administrator in ADUC: the account in the default computers container, the workstation
    flags ADUC sets (WORKSTATION_TRUST_ACCOUNT | PASSWD_NOTREQD), no dNSHostName, no SPN, no owner
    marker; then the minimal user gets the four rights on this object alone."""
    user = os.environ["LAB_MINIMAL_USER"]
    container = os.environ.get("LAB_PRESTAGE_CONTAINER") or "CN=Computers," + str(db.domain_dn())
    dn = "CN=%s,%s" % (name, container)
    db.add({"dn": dn, "objectClass": "computer", "sAMAccountName": name + "$", "userAccountControl": "4128"})
    SDUtils(db).dacl_add_ace(dn, object_aces(sid_of(db, user), without))
    print(dn)


def main(argv):
    db = connect()
    if argv[1:] == ["ensure"]:
        ensure(db)
    elif (len(argv) in (3, 5) and argv[1] == "prestage" and argv[2].isalnum() and len(argv[2]) <= 15
          and (len(argv) == 3 or (argv[3] == "--without" and argv[4] in OBJECT_RIGHTS))):
        prestage(db, argv[2].upper(), argv[4] if len(argv) == 5 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
