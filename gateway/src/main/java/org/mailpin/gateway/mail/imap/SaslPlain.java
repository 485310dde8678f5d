package org.mailpin.gateway.mail.imap;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The SASL PLAIN message of RFC 4616: {@code [authzid] NUL authcid NUL passwd}. */
final class SaslPlain {

    private SaslPlain() {
    }

    /**
     * One decoded message; {@code toString()} hides the password.
     *
     * @param authzid   the authorization identity, empty when the client acts as itself
     * @param authcid   the authentication identity: the username
     * @param password  the password bytes
     */
    record Message(byte[] authzid, byte[] authcid, byte[] password) {

        /** True when the client asks to act as a user other than the one it authenticates as. */
        boolean actsAsOtherUser() {
            return authzid.length > 0 && !Arrays.equals(authzid, authcid);
        }

        @Override
        public String toString() {
            return "SaslPlain.Message[" + authcid.length + " byte username, password hidden]";
        }
    }

    /**
     * Decodes a PLAIN message.
     *
     * @throws IllegalArgumentException unless the message has exactly two NULs and a non-empty
     *                                  username; the message is for the client
     */
    static Message decode(byte[] message) {
        List<byte[]> parts = new ArrayList<>(3);
        int start = 0;
        for (int i = 0; i <= message.length; i++) {
            if (i == message.length || message[i] == 0) {
                parts.add(Arrays.copyOfRange(message, start, i));
                start = i + 1;
            }
        }
        if (parts.size() != 3 || parts.get(1).length == 0) {
            throw new IllegalArgumentException(
                    "Invalid PLAIN response; expected base64 of [authzid] NUL username NUL password.");
        }
        return new Message(parts.get(0), parts.get(1), parts.get(2));
    }

    /** Encodes a message with an empty authorization identity. */
    static byte[] encode(byte[] user, byte[] password) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(user.length + password.length + 2);
        out.write(0);
        out.writeBytes(user);
        out.write(0);
        out.writeBytes(password);
        return out.toByteArray();
    }
}
