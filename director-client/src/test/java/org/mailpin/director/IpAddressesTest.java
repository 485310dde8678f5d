package org.mailpin.director;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @BeforeEach
    void clearLookups() {
        RecordingResolverProvider.clearLookups();
    }

    @Test
    void testResolverRecordsLookups() {
        assertThrows(UnknownHostException.class, () -> InetAddress.getByName("resolver-check.invalid"));

        assertEquals(List.of("resolver-check.invalid"), RecordingResolverProvider.lookups());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "10.0.0.1, 10.0.0.1",
            "127.0.0.31, 127.0.0.31",
            "255.255.255.255, 255.255.255.255",
            "0.0.0.0, 0.0.0.0",
            "' 192.0.2.7 ', 192.0.2.7",
    })
    void canonicalIpv4(String input, String expected) {
        assertEquals(expected, IpAddresses.canonical(input));
    }

    // Expected values are what glibc 2.36's inet_ntop prints (Debian 12), which is the text
    // Dovecot's director hashes for a backend.
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "2001:db8:0:0:1:0:0:1 | 2001:db8::1:0:0:1",
            "0:0:0:0:0:0:0:1 | ::1",
            "fe80:0:0:0:0:0:0:0 | fe80::",
            "0:0:0:0:0:0:0:0 | ::",
            "2001:db8:0:1:1:1:1:1 | 2001:db8:0:1:1:1:1:1",
            "1:0:0:2:0:0:0:3 | 1:0:0:2::3",
            "1:0:0:0:2:0:0:0 | 1::2:0:0:0",
            "0:0:1:0:0:0:0:0 | 0:0:1::",
            "0:0:0:0:0:1:0:0 | ::1:0:0",
            "2001:0DB8:0000:0000:0000:0000:0000:000A | 2001:db8::a",
            "[2001:db8::1] | 2001:db8::1",
            "::1.2.3.4 | ::1.2.3.4",
            "::0.0.0.2 | ::2",
            "::ffff:0:1.2.3.4 | ::ffff:0:102:304",
            "64:ff9b::1.2.3.4 | 64:ff9b::102:304",
    })
    void canonicalIpv6MatchesInetNtop(String input, String expected) {
        assertEquals(expected, IpAddresses.canonical(input));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mail.example.test", "localhost", "be1"})
    void hostNameRejected(String hostName) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IpAddresses.canonical(hostName));

        assertEquals("invalid IP address '" + hostName
                + "': expected an IPv4 or IPv6 literal such as 10.0.0.1 (host names are not accepted)", e.getMessage());
        assertEquals(List.of(), RecordingResolverProvider.lookups());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "1:2", "2001:db8::1::2", "fe80::1%eth0"})
    void malformedLiteralRejected(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IpAddresses.canonical(text));

        assertTrue(e.getMessage().startsWith("invalid IP address '" + text + "'"), e.getMessage());
        assertEquals(List.of(), RecordingResolverProvider.lookups());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.3.256", "1..2.3"})
    void invalidDottedQuadSendsNoLookup(String text) {
        assertThrows(IllegalArgumentException.class, () -> IpAddresses.canonical(text));

        assertEquals(List.of(), RecordingResolverProvider.lookups());
    }

    // Dovecot 2.3.19's director keeps an IPv4-mapped backend address as IPv6 and hashes the
    // text "::ffff:a.b.c.d". `doveadm director add ::ffff:127.0.0.36` lists it in that form.
    @Test
    void ipv4MappedKeepsIpv6Form() {
        assertEquals("::ffff:1.2.3.4", IpAddresses.canonical("::ffff:1.2.3.4"));
    }

    @Test
    void sortKeyIpv4BeforeIpv6() {
        byte[] highestIpv4 = IpAddresses.sortKey("255.255.255.255");
        byte[] lowIpv6 = IpAddresses.sortKey("::1");

        assertTrue(Arrays.compareUnsigned(highestIpv4, lowIpv6) < 0);
    }

    @Test
    void sortKeyComparesBytesNotText() {
        byte[] nine = IpAddresses.sortKey("127.0.0.9");
        byte[] fiftySix = IpAddresses.sortKey("127.0.0.56");

        assertTrue(Arrays.compareUnsigned(nine, fiftySix) < 0);
    }
}
