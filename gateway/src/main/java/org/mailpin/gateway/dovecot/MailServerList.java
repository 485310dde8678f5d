package org.mailpin.gateway.dovecot;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.mailpin.director.IpAddresses;

/**
 * Expands {@code director_mail_servers} as Dovecot 2.3's director does ({@code src/director/mail-host.c}):
 * entries separated by spaces, each an IP address, an IP range {@code 10.0.0.1-10.0.0.5} or a host
 * name, optionally followed by {@code @tag}. A range may differ only in the last byte of an IPv4
 * address or the last 16 bits of an IPv6 address.
 *
 * <p>Dovecot resolves host names with DNS when it starts. The importer does not, because the ring
 * hashes addresses and a lookup on another machine may give other ones: the caller passes the
 * addresses of every host name.
 */
public final class MailServerList {

    /**
     * One backend from the list.
     *
     * @param address  canonical IP address
     * @param tag      the {@code @tag} of its entry, "" without one
     * @param entry    the entry it came from, e.g. {@code 10.0.0.1-10.0.0.3@pool1}
     */
    public record MailServer(String address, String tag, String entry) {
    }

    private MailServerList() {
    }

    /**
     * Expands the setting's value.
     *
     * @param hosts  addresses for host names, keyed by lowercase name
     * @throws IllegalArgumentException naming the bad entry and how to fix it
     */
    public static List<MailServer> parse(String value, Map<String, List<String>> hosts) {
        List<MailServer> servers = new ArrayList<>();
        for (String entry : value.strip().split("\\s+")) {
            if (entry.isEmpty()) {
                continue;
            }
            String host = entry;
            String tag = "";
            int at = entry.indexOf('@');
            if (at >= 0) {
                host = entry.substring(0, at);
                tag = entry.substring(at + 1);
            }
            for (String address : addresses(host, entry, hosts)) {
                servers.add(new MailServer(address, tag, entry));
            }
        }
        return servers;
    }

    private static List<String> addresses(String host, String entry, Map<String, List<String>> hosts) {
        int dash = host.indexOf('-');
        if (dash > 0) {
            InetAddress first = ipOrNull(host.substring(0, dash));
            InetAddress last = ipOrNull(host.substring(dash + 1));
            if (first != null && last != null) {
                return range(first, last, entry);
            }
        }
        InetAddress ip = ipOrNull(host);
        if (ip != null) {
            return List.of(IpAddresses.format(ip));
        }
        if (host.matches("[0-9.]+")) {
            // Digits and dots only: a mistyped IPv4 address rather than a host name.
            IpAddresses.parse(host);
        }
        List<String> mapped = hosts.get(host.toLowerCase(Locale.ROOT));
        if (mapped == null) {
            throw new IllegalArgumentException("host name '" + host + "' in '" + entry
                    + "' has no address; Mailpin's ring hashes IP addresses, as Dovecot's does after its DNS lookup. "
                    + "Give the addresses Dovecot resolves it to with --host " + host + "=IP[,IP...] "
                    + "(getent ahosts " + host + " lists them)");
        }
        return mapped;
    }

    private static List<String> range(InetAddress first, InetAddress last, String entry) {
        byte[] from = first.getAddress();
        byte[] to = last.getAddress();
        if (from.length != to.length) {
            throw new IllegalArgumentException("range '" + entry + "' mixes IPv4 and IPv6; write each range in one family");
        }
        if (Arrays.compareUnsigned(from, to) > 0) {
            throw new IllegalArgumentException("range '" + entry + "' starts above its end; write the lower address first, "
                    + "e.g. " + IpAddresses.format(last) + "-" + IpAddresses.format(first));
        }
        // IPv4 ranges may vary in the last byte, IPv6 ranges in the last two, as in Dovecot 2.3.
        int fixed = from.length == 4 ? 3 : 14;
        if (!Arrays.equals(from, 0, fixed, to, 0, fixed)) {
            throw new IllegalArgumentException("range '" + entry + "' is too large: Dovecot 2.3 ranges may differ only in "
                    + (from.length == 4 ? "the last number of an IPv4 address" : "the last 16 bits of an IPv6 address")
                    + ", and so may Mailpin's; split it into such ranges");
        }

        List<String> addresses = new ArrayList<>();
        int start = suffix(from, fixed);
        int end = suffix(to, fixed);
        for (int value = start; value <= end; value++) {
            byte[] bytes = from.clone();
            bytes[fixed] = (byte) (from.length == 4 ? value : value >> 8);
            if (from.length == 16) {
                bytes[15] = (byte) value;
            }
            addresses.add(IpAddresses.format(toAddress(bytes)));
        }
        return addresses;
    }

    private static int suffix(byte[] bytes, int fixed) {
        return bytes.length == 4 ? bytes[fixed] & 0xff : ((bytes[fixed] & 0xff) << 8) | (bytes[fixed + 1] & 0xff);
    }

    private static InetAddress toAddress(byte[] bytes) {
        try {
            // Inet6Address keeps ::ffff:a.b.c.d as IPv6, as Dovecot does, where InetAddress would fold it into IPv4.
            return bytes.length == 16 ? Inet6Address.getByAddress(null, bytes, -1) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes always make an address", e);
        }
    }

    private static InetAddress ipOrNull(String text) {
        try {
            return IpAddresses.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
