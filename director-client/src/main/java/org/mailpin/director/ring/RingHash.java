package org.mailpin.director.ring;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The two hashes of Dovecot 2.3's director: users and backend points, both the first 4 bytes of MD5. */
public final class RingHash {

    private RingHash() {
    }

    /**
     * Returns the user hash as an unsigned 32-bit value in a long: the first 4 bytes of MD5 of the
     * UTF-8 key, big-endian, with 0 mapped to 1 (Dovecot treats 0 as "no hash").
     */
    public static long userHash(String ringKey) {
        long hash = first4(md5(ringKey.getBytes(StandardCharsets.UTF_8)));
        return hash == 0 ? 1 : hash;
    }

    /** Returns the hash of point {@code index} of the backend at {@code canonicalIp}: MD5("ip-index"). */
    public static long pointHash(String canonicalIp, int index) {
        return first4(md5((canonicalIp + "-" + index).getBytes(StandardCharsets.US_ASCII)));
    }

    private static long first4(byte[] digest) {
        return ((digest[0] & 0xffL) << 24) | ((digest[1] & 0xffL) << 16)
                | ((digest[2] & 0xffL) << 8) | (digest[3] & 0xffL);
    }

    private static byte[] md5(byte[] input) {
        try {
            return MessageDigest.getInstance("MD5").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime must provide MD5", e);
        }
    }
}
