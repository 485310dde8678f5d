package org.mailpin.gateway.config;

/** An address and port from a {@code listen:} or {@code bind:} value such as {@code 127.0.0.1:8080} or {@code [::1]:8080}. */
public record HostPort(String host, int port) {

    public static HostPort parse(String text, int defaultPort) {
        String value = text.strip();
        String host = value;
        String port = null;
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("invalid address '" + text + "': missing ] after the IPv6 address");
            }
            host = value.substring(1, end);
            if (end + 1 < value.length()) {
                if (value.charAt(end + 1) != ':') {
                    throw new IllegalArgumentException("invalid address '" + text + "': expected ':' and a port after ]");
                }
                port = value.substring(end + 2);
            }
        } else if (value.indexOf(':') >= 0 && value.indexOf(':') == value.lastIndexOf(':')) {
            host = value.substring(0, value.indexOf(':'));
            port = value.substring(value.indexOf(':') + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("invalid address '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:" + defaultPort);
        }
        if (port == null) {
            return new HostPort(host, defaultPort);
        }
        try {
            int number = Integer.parseInt(port);
            if (number < 1 || number > 65535) {
                throw new NumberFormatException();
            }
            return new HostPort(host, number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid port in '" + text + "': expected 1 to 65535");
        }
    }
}
