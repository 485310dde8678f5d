package org.mailpin.gateway.mail.lmtp;

/**
 * Finds the end of a DATA section in the raw bytes a client sends, which the proxy relays to the
 * backends unchanged, dot-stuffing included.
 *
 * <p>The end is a line holding only a dot. The proxy must see it exactly where the backends see
 * it: if a backend ended the message earlier, the bytes the proxy still relays would run there as
 * commands (SMTP smuggling). Dovecot 2.3's DATA reader ({@code istream-dot.c}) ends a line at LF
 * whether or not CR precedes it, so it also ends the message at {@code LF . LF} and
 * {@code LF . CR LF}. This scanner uses the same rule, so proxy and Dovecot backend always agree.
 * The start of the section counts as the start of a line, so {@code .CRLF} alone is an empty message.
 */
final class DataEndScanner {

    private enum State { LINE_START, DOT, DOT_CR, IN_LINE, ENDED }

    private State state = State.LINE_START;

    /**
     * Scans the next bytes of the section.
     *
     * @return the index just after the end line if it ends within the range, else -1
     */
    int scan(byte[] data, int offset, int length) {
        if (state == State.ENDED) {
            throw new IllegalStateException("the DATA section already ended");
        }
        for (int i = offset; i < offset + length; i++) {
            byte b = data[i];
            if (b == '\n') {
                if (state == State.DOT || state == State.DOT_CR) {
                    state = State.ENDED;
                    return i + 1;
                }
                state = State.LINE_START;
            } else if (state == State.LINE_START && b == '.') {
                state = State.DOT;
            } else if (state == State.DOT && b == '\r') {
                state = State.DOT_CR;
            } else {
                state = State.IN_LINE;
            }
        }
        return -1;
    }

    boolean ended() {
        return state == State.ENDED;
    }
}
