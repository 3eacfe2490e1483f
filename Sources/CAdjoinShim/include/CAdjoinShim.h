// The shim's module: one header per wrapped library.
#include "adjoin_shim.h"
#include "adjoin_krb5.h"
#include "adjoin_ldap.h"
#include "adjoin_curl.h"
