// SPDX-License-Identifier: MIT
/* libFuzzer target: the .sig parser and signature verification. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include <vcrypto/vmmcall.h>
#include <vsig/vsig.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	struct vsig s;
	uint8_t out[VMM_MAX_SIG];
	int ret;

	if (!key)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ret = vsig_parse(data, size, &s);
	if (ret) {
		if (ret > -VMM_E_BASE || ret <= -VMM_E_MAX)
			abort(); /* only our error codes */
		return 0;
	}
	/* what parses re-encodes to the same bytes */
	if (vsig_encode(&s, out, sizeof(out)) != (long)size || memcmp(out, data, size))
		abort();
	vsig_verify(key, &s);
	vsig_check_image(&s, data, size);
	return 0;
}
