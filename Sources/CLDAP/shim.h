#include <lber.h>
#include <ldap.h>
#include <sasl/sasl.h>
