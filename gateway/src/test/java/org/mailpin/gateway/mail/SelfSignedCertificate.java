package org.mailpin.gateway.mail;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for 127.0.0.1 made with {@code openssl req -x509} in a test folder,
 * and a client context that trusts only it.
 */
public record SelfSignedCertificate(Path certFile, Path keyFile) {

    public static SelfSignedCertificate create(Path folder) throws Exception {
        Path cert = folder.resolve("mail-cert.pem");
        Path key = folder.resolve("mail-key.pem");
        Path log = folder.resolve("openssl-req.log");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!openssl.waitFor(60, TimeUnit.SECONDS)) {
            openssl.destroyForcibly();
            throw new IllegalStateException("openssl req did not finish within 60 s");
        }
        if (openssl.exitValue() != 0) {
            throw new IllegalStateException("openssl req exited with " + openssl.exitValue() + ": " + Files.readString(log));
        }
        return new SelfSignedCertificate(cert, key);
    }

    public SSLContext clientContext() throws Exception {
        Certificate certificate = java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certFile)));
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("mailpin-test", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
