package org.mailpin.gateway.dovecot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.mailpin.gateway.dovecot.MailServerList.MailServer;

class MailServerListTest {

    @Test
    void addressesInOrder() {
        assertEquals(List.of(new MailServer("127.0.0.11", "", "127.0.0.11"), new MailServer("127.0.0.12", "", "127.0.0.12")),
                MailServerList.parse(" 127.0.0.11   127.0.0.12 ", Map.of()));
    }

    @Test
    void ipv4RangeExpanded() {
        List<String> addresses = MailServerList.parse("10.0.0.1-10.0.0.5", Map.of()).stream()
                .map(MailServer::address).toList();

        assertEquals(List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"), addresses);
    }

    @Test
    void ipv6RangeExpanded() {
        List<String> addresses = MailServerList.parse("2001:db8::ff-2001:db8::101", Map.of()).stream()
                .map(MailServer::address).toList();

        assertEquals(List.of("2001:db8::ff", "2001:db8::100", "2001:db8::101"), addresses);
    }

    @Test
    void ipv6RangeBeyondLast16BitsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailServerList.parse("2001:db8::fffe-2001:db8::1:1", Map.of()));

        assertTrue(e.getMessage().contains("may differ only in the last 16 bits of an IPv6 address"), e.getMessage());
    }

    @Test
    void tagKeptForRangeAndAddress() {
        assertEquals(List.of(new MailServer("10.0.0.1", "pool1", "10.0.0.1-10.0.0.2@pool1"),
                        new MailServer("10.0.0.2", "pool1", "10.0.0.1-10.0.0.2@pool1"),
                        new MailServer("10.0.0.9", "pool2", "10.0.0.9@pool2")),
                MailServerList.parse("10.0.0.1-10.0.0.2@pool1 10.0.0.9@pool2", Map.of()));
    }

    @Test
    void hostNameUsesGivenAddresses() {
        List<MailServer> servers = MailServerList.parse("Backend-1@pool1",
                Map.of("backend-1", List.of("10.0.0.11", "10.0.0.21")));

        assertEquals(List.of(new MailServer("10.0.0.11", "pool1", "Backend-1@pool1"),
                new MailServer("10.0.0.21", "pool1", "Backend-1@pool1")), servers);
    }

    @Test
    void unknownHostNameRejectedWithFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailServerList.parse("backend1 backend2", Map.of()));

        assertTrue(e.getMessage().startsWith("host name 'backend1' in 'backend1' has no address;"), e.getMessage());
        assertTrue(e.getMessage().contains("--host backend1=IP[,IP...]"), e.getMessage());
    }

    @Test
    void reversedRangeRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailServerList.parse("10.0.0.5-10.0.0.1", Map.of()));

        assertEquals("range '10.0.0.5-10.0.0.1' starts above its end; write the lower address first, "
                + "e.g. 10.0.0.1-10.0.0.5", e.getMessage());
    }

    @Test
    void rangeBeyondLastByteRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailServerList.parse("10.0.0.250-10.0.1.5", Map.of()));

        assertEquals("range '10.0.0.250-10.0.1.5' is too large: Dovecot 2.3 ranges may differ only in the last number "
                + "of an IPv4 address, and so may Mailpin's; split it into such ranges", e.getMessage());
    }

    @Test
    void mixedFamilyRangeRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailServerList.parse("10.0.0.1-::1", Map.of()));

        assertEquals("range '10.0.0.1-::1' mixes IPv4 and IPv6; write each range in one family", e.getMessage());
    }

    @Test
    void mistypedAddressRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailServerList.parse("10.0.0.300", Map.of()));

        assertEquals("invalid IP address '10.0.0.300': 300 is above 255", e.getMessage());
    }
}
