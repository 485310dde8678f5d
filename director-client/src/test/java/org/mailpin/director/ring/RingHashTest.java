package org.mailpin.director.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RingHashTest {

    // Values are the first 4 bytes of `md5sum` output read as one big-endian number.
    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource({
            "testuser, 1570531526",
            "testuser@domain, 3813799143",
            "'', 3558706393",
            "user01@example.test, 3733021238",
            "nguyễn.văn@ví-dụ.vn, 356103113",
            "Nguyễn.Văn@Ví-Dụ.vn, 4250569806",
    })
    void userHashKnownVectors(String key, long expected) {
        assertEquals(expected, RingHash.userHash(key));
    }

    // MD5("u1-2607eaed") = 0000000099a6f813a0039a668da99dc9, found by a brute-force search.
    @Test
    void userHashZeroBecomesOne() {
        assertEquals(1, RingHash.userHash("u1-2607eaed"));
    }

    @ParameterizedTest(name = "{0}-{1} -> {2}")
    @CsvSource({
            "127.0.0.1, 0, 2141519805",
            "127.0.0.31, 99, 2569941465",
            "2001:db8::1, 0, 718735967",
    })
    void pointHashKnownVectors(String ip, int index, long expected) {
        assertEquals(expected, RingHash.pointHash(ip, index));
    }
}
