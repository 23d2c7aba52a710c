// OpenSSL's libcrypto (Debian: libssl-dev), for SHA-256 checksums of batch inputs.
#include <openssl/evp.h>
