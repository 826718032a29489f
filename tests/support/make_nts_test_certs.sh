#!/usr/bin/env bash
# tests/support/make_nts_test_certs.sh DIR
#
# Throwaway PKI for the NTS-KE tests, made with the openssl CLI (EC P-256):
#   DIR/ca.pem, ca.key                 test CA ("Meridian NTS Test CA")
#   DIR/other_ca.pem                   an unrelated CA (the "wrong CA")
#   DIR/server.pem, server.key         ntp.test, SAN DNS:ntp.test + IP:127.0.0.1,
#                                      valid from yesterday for 1 year
#   DIR/expired.pem, expired.key       same names, valid 2020-01-01..2021-01-01
#   DIR/notyet.pem, notyet.key         same names, valid 2090-01-01..2091-01-01
#   DIR/other.key                      a key that matches none of the certificates
#   DIR/fullchain.pem                  server.pem followed by ca.pem
# Exit status 0 on success; openssl's messages on stderr otherwise.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
D=$1
mkdir -p "$D/newcerts"
cd "$D"
: >index.txt
echo 1000 >serial
EC=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

cat >ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $PWD/index.txt
new_certs_dir = $PWD/newcerts
serial = $PWD/serial
certificate = $PWD/ca.pem
private_key = $PWD/ca.key
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
x509_extensions = server_ext
[any_name]
commonName = supplied
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:ntp.test,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

make_ca() { # NAME CN
  openssl req -x509 "${EC[@]}" -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}
make_server() { # NAME START END
  openssl req -new "${EC[@]}" -keyout "$1.key" -out "$1.csr" -subj "/CN=ntp.test" 2>/dev/null
  openssl ca -batch -notext -config ca.cnf -in "$1.csr" -out "$1.pem" \
    -startdate "$2" -enddate "$3" 2>/dev/null
}

make_ca ca "Meridian NTS Test CA"
make_ca other_ca "Some Other CA"
make_server server "$(date -u -d yesterday +%Y%m%d%H%M%SZ)" "$(date -u -d '+1 year' +%Y%m%d%H%M%SZ)"
make_server expired 20200101000000Z 20210101000000Z
make_server notyet 20900101000000Z 20910101000000Z
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out other.key 2>/dev/null
cat server.pem ca.pem >fullchain.pem
chmod 600 ./*.key
openssl verify -CAfile ca.pem server.pem >/dev/null
