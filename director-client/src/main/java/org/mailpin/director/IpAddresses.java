package org.mailpin.director;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP address parsing and the canonical text form that Dovecot's director hashes.
 *
 * <p>Dovecot prints addresses with {@code inet_ntop(3)}: dotted quads for IPv4, and for IPv6
 * lowercase hex with the longest run of two or more zero groups written as {@code ::}. Java's
 * {@link InetAddress#getHostAddress()} does not compress IPv6, so the ring would hash a different
 * string without this class.
 */
public final class IpAddresses {

    private IpAddresses() {
    }

    /**
     * Parses an IP literal (never a host name, so no DNS lookup happens) and returns its canonical text.
     *
     * @throws IllegalArgumentException if the text is not an IPv4 or IPv6 literal
     */
    public static String canonical(String text) {
        return format(parse(text));
    }

    /** Parses an IPv4 or IPv6 literal; brackets around IPv6 are accepted. */
    public static InetAddress parse(String text) {
        String literal = text.strip();
        if (literal.startsWith("[") && literal.endsWith("]")) {
            literal = literal.substring(1, literal.length() - 1);
        }
        if (!looksLikeIpLiteral(literal)) {
            throw new IllegalArgumentException("invalid IP address '" + text
                    + "': expected an IPv4 or IPv6 literal such as 10.0.0.1 (host names are not accepted)");
        }
        try {
            if (literal.indexOf(':') < 0) {
                return InetAddress.getByAddress(ipv4Bytes(literal, text));
            }
            // Java validates a text with ':' as an IPv6 literal and never resolves it.
            InetAddress address = InetAddress.getByName(literal);
            if (address instanceof Inet4Address) {
                // Java folds ::ffff:a.b.c.d into IPv4, but Dovecot keeps and hashes the IPv6 form.
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(address.getAddress(), 0, mapped, 12, 4);
                return Inet6Address.getByAddress(null, mapped, -1);
            }
            return address;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address '" + text + "': " + e.getMessage(), e);
        }
    }

    // Parsed here because InetAddress.getByName sends an invalid dotted quad to DNS as a host name.
    private static byte[] ipv4Bytes(String literal, String text) {
        String[] parts = literal.split("\\.", -1);
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (parts[i].isEmpty() || parts[i].length() > 3) {
                throw new IllegalArgumentException("invalid IP address '" + text + "': expected four numbers from 0 to 255");
            }
            int value = Integer.parseInt(parts[i]);
            if (value > 255) {
                throw new IllegalArgumentException("invalid IP address '" + text + "': " + value + " is above 255");
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    /** Formats an address the way {@code inet_ntop(3)} does. */
    public static String format(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        if (address instanceof Inet6Address) {
            return formatIpv6(address.getAddress());
        }
        throw new IllegalArgumentException("unsupported address type: " + address);
    }

    /** Address bytes for ordering ties on the ring: IPv4 sorts before IPv6, as in Dovecot's net_ip_cmp. */
    public static byte[] sortKey(String canonical) {
        byte[] raw = parse(canonical).getAddress();
        byte[] key = new byte[raw.length + 1];
        key[0] = (byte) (raw.length == 4 ? 2 : 10);
        System.arraycopy(raw, 0, key, 1, raw.length);
        return key;
    }

    private static boolean looksLikeIpLiteral(String text) {
        if (text.isEmpty()) {
            return false;
        }
        if (text.indexOf(':') >= 0) {
            return text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        return text.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')
                && text.split("\\.", -1).length == 4;
    }

    private static String formatIpv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }

        int bestStart = -1;
        int bestLength = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        if (bestLength < 2) {
            bestStart = -1;
        }

        // inet_ntop prints IPv4-mapped and IPv4-compatible addresses with a dotted tail.
        boolean ipv4Tail = bestStart == 0 && (bestLength == 6 || (bestLength == 5 && groups[5] == 0xffff));

        StringBuilder text = new StringBuilder();
        int lastGroup = ipv4Tail ? 6 : 8;
        for (int i = 0; i < lastGroup; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        if (ipv4Tail) {
            if (text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(bytes[12] & 0xff).append('.').append(bytes[13] & 0xff).append('.')
                    .append(bytes[14] & 0xff).append('.').append(bytes[15] & 0xff);
        }
        return text.toString();
    }
}
