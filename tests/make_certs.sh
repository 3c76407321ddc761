#!/usr/bin/env bash
# Makes the TLS test certificates in the folder given ($1): a test CA, a server certificate
# for localhost, 127.0.0.1 and ::1, one for 10.201.0.1 (test_lwip), an expired one, one for
# another name, a self-signed one, and the host-check cases of issue 13 (see the end). Also writes each certificate as DER (NAME.der)
# for the fuzz seeds (tests/fuzz/make_seeds.py).
set -euo pipefail
dir=${1:?usage: make_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -f done-3 ] && exit 0    # bumped whenever a certificate is added
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=bitcart_events test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
leaf() {  # name, subjectAltName, extra args for openssl ca
    local name=$1 san=$2
    shift 2
    q openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$name"
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" \
        -extfile "$name.ext" "$@" >/dev/null 2>&1
}
leaf good "DNS:localhost,IP:127.0.0.1,IP:::1" -days 30
leaf other "DNS:other.example" -days 30
# lwip: the address test_lwip's daemon has in its network namespace (tests/test_lwip.sh)
leaf lwip "IP:10.201.0.1" -days 30
# expired: signed with validity in the past (openssl ca takes explicit dates)
q openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr -subj "/CN=localhost"
mkdir -p ca.db && : > ca.db/index.txt && echo 1000 > ca.db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = ca.db
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
    -startdate 20200101000000Z -enddate 20200201000000Z -extensions ext -notext
q openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
# Host checks for IP literals (issue 13, findings 3 and 4), on EC keys (short signatures):
# overread: self-signed; its last extension is an unknown one whose value is
#   06 03 55 1D 11 04 01 30 7F (the subjectAltName OID, then a SEQUENCE whose short-form length
#   runs past the end of the extensions): a byte-searching DER walker reads past the buffer.
# decoy: from the test CA; its real subjectAltName is only IP:10.9.9.9, but an unknown extension
#   placed before it holds a SAN-shaped byte string naming 127.0.0.1.
# ip10: the same as decoy without the unknown extension.
# cnip: CN=127.0.0.1 and no subjectAltName (a CN never names an IP address: RFC 9525).
# dnsip: subjectAltName DNS:127.0.0.1 only (a dNSName never names an IP address either).
ec() { q openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"; }
ecleaf() {  # name, subject, extension lines
    ec "$1" "$2"
    printf '%b' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 30 \
        -extfile "$1.ext" >/dev/null 2>&1
}
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout overread.key -out overread.pem \
    -days 30 -subj "/CN=overread" -addext "basicConstraints=CA:FALSE" \
    -addext "1.3.6.1.4.1.55555.1=DER:06:03:55:1D:11:04:01:30:7F"
ecleaf decoy "/CN=decoy" 'basicConstraints=CA:FALSE\n1.3.6.1.4.1.55555.2=DER:06:03:55:1D:11:04:08:30:06:87:04:7F:00:00:01\nsubjectAltName=IP:10.9.9.9\n'
ecleaf ip10 "/CN=ip10" 'basicConstraints=CA:FALSE\nsubjectAltName=IP:10.9.9.9\n'
ecleaf cnip "/CN=127.0.0.1" 'basicConstraints=CA:FALSE\n'
ecleaf dnsip "/CN=dnsip" 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:127.0.0.1\n'
for c in good other lwip self expired overread decoy ip10 cnip dnsip; do openssl x509 -in "$c.pem" -outform DER -out "$c.der"; done
touch done-3
