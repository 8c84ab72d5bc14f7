// Checks a kubeseed state directory the way kubeadm (Go's crypto/x509) reads it, printing one
// line per fact so the test can compare the whole output exactly.
// Usage: go run main.go <state-dir>
package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

func read(dir, name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fail("%s: %v", name, err)
	}
	return b
}

func cert(name string, pemBytes []byte) *x509.Certificate {
	block, rest := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) != 0 {
		fail("%s: not exactly one PEM certificate", name)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		fail("%s: %v", name, err)
	}
	return c
}

func keyUsage(u x509.KeyUsage) string {
	var out []string
	names := []struct {
		bit  x509.KeyUsage
		name string
	}{{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageCertSign, "keyCertSign"}}
	for _, n := range names {
		if u&n.bit != 0 {
			out = append(out, n.name)
			u &^= n.bit
		}
	}
	if u != 0 {
		out = append(out, fmt.Sprintf("other(%d)", u))
	}
	return strings.Join(out, ",")
}

// The SKI Go's own CreateCertificate gives a CA: SHA-1 over the subjectPublicKey BIT STRING.
func goSKI(c *x509.Certificate) []byte {
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		fail("%s: SPKI: %v", c.Subject.CommonName, err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:]
}

func main() {
	dir := os.Args[1]
	cas := map[string]*x509.Certificate{}
	for _, n := range []string{"ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"} {
		c := cert(n, read(dir, n))
		cas[n] = c
		pool := x509.NewCertPool()
		pool.AddCert(c)
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			fail("%s: does not verify as its own root: %v", n, err)
		}
		keyFile := strings.TrimSuffix(n, ".crt") + ".key"
		if _, err := tls.X509KeyPair(read(dir, n), read(dir, keyFile)); err != nil {
			fail("%s/%s: %v", n, keyFile, err)
		}
		fmt.Printf("%s CN=%s isCA=%v basicConstraintsValid=%v keyUsage=%s skiIsGoMethod=%v dns=%v sig=%s days=%.0f\n",
			n, c.Subject.CommonName, c.IsCA, c.BasicConstraintsValid, keyUsage(c.KeyUsage), string(c.SubjectKeyId) == string(goSKI(c)), c.DNSNames,
			c.SignatureAlgorithm, c.NotAfter.Sub(c.NotBefore).Hours()/24)
	}

	ca := cas["ca.crt"]
	sum := sha256.Sum256(ca.RawSubjectPublicKeyInfo)
	fmt.Printf("pin sha256:%s\n", hex.EncodeToString(sum[:]))

	// admin.conf: the YAML is simple enough to pick the three data fields by prefix.
	fields := map[string]string{}
	for _, line := range strings.Split(string(read(dir, "admin.conf")), "\n") {
		t := strings.TrimSpace(line)
		for _, k := range []string{"certificate-authority-data", "client-certificate-data", "client-key-data"} {
			if strings.HasPrefix(t, k+": ") {
				b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(t, k+": "))
				if err != nil {
					fail("admin.conf %s: %v", k, err)
				}
				fields[k] = string(b)
			}
		}
	}
	pair, err := tls.X509KeyPair([]byte(fields["client-certificate-data"]), []byte(fields["client-key-data"]))
	if err != nil {
		fail("admin.conf key pair: %v", err)
	}
	admin, _ := x509.ParseCertificate(pair.Certificate[0])
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(fields["certificate-authority-data"])) {
		fail("admin.conf: bad certificate-authority-data")
	}
	if _, err := admin.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		fail("admin.conf: client certificate does not verify: %v", err)
	}
	fmt.Printf("admin CN=%s O=%v isCA=%v keyUsage=%s extKeyUsage=%v akiMatchesCA=%v\n",
		admin.Subject.CommonName, admin.Subject.Organization, admin.IsCA, keyUsage(admin.KeyUsage), admin.ExtKeyUsage,
		string(admin.AuthorityKeyId) == string(ca.SubjectKeyId))

	etcdClient, err := tls.X509KeyPair(read(dir, "apiserver-etcd-client.crt"), read(dir, "apiserver-etcd-client.key"))
	if err != nil {
		fail("apiserver-etcd-client: %v", err)
	}
	ec, _ := x509.ParseCertificate(etcdClient.Certificate[0])
	etcdRoots := x509.NewCertPool()
	etcdRoots.AddCert(cas["etcd/ca.crt"])
	_, etcdErr := ec.Verify(x509.VerifyOptions{Roots: etcdRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	_, wrongErr := ec.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	fmt.Printf("apiserver-etcd-client CN=%s O=%v verifiesWithEtcdCA=%v verifiesWithClusterCA=%v\n",
		ec.Subject.CommonName, ec.Subject.Organization, etcdErr == nil, wrongErr == nil)

	var doc struct {
		BootstrapToken struct{ Token string } `json:"bootstrapToken"`
	}
	if err := json.Unmarshal(read(dir, "state.json"), &doc); err != nil {
		fail("state.json: %v", err)
	}
	// k8s.io/cluster-bootstrap/token/api BootstrapTokenPattern
	fmt.Printf("token valid=%v\n", regexp.MustCompile(`\A([a-z0-9]{6})\.([a-z0-9]{16})\z`).MatchString(doc.BootstrapToken.Token))

	block, _ := pem.Decode(read(dir, "sa.pub"))
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		fail("sa.pub: %v", err)
	}
	fmt.Println("sa.pub ok")
}
