#!/bin/bash
# Proves the harness on a peer no one here wrote: the stock Linux virtio_crypto
# driver on QEMU's builtin cryptodev backend, AES-CBC through AF_ALG.
here=$(cd "$(dirname "$0")" && pwd)
B=${VCRYPTO_BUILD:-$here/../../build}
exec "$here/vmrun.sh" -n stock-builtin -b -t 240 \
	-m virtio_pci -m virtio_crypto -m algif_skcipher -m cbc -m aes_generic \
	-f "$B/guest-bin/afalg_test" -c "$here/cases/stock_builtin.sh"
