package org.mailpin.gateway.mail.sasl;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Decodes and encodes the base64 SASL responses of the PLAIN (RFC 4616) and LOGIN mechanisms as
 * the line protocols carry them (POP3 AUTH, ManageSieve AUTHENTICATE, SMTP AUTH).
 *
 * <p>Decoding is strict: base64 without line breaks or stray characters, valid UTF-8, and for
 * PLAIN exactly two NUL separators. The decoded credentials pass {@link Credentials#validate()},
 * so nothing that could split a backend command line gets through.
 */
public final class SaslCodec {

    private SaslCodec() {
    }

    /**
     * Decodes a PLAIN message: {@code [authzid] NUL authcid NUL password}.
     *
     * @throws MalformedCredentialsException on bad base64 or UTF-8, a wrong number of NULs, an empty
     *                                       login name or password, or CR or LF in a field
     */
    public static Credentials decodePlain(String base64) throws MalformedCredentialsException {
        String message = decodeText(base64);
        int first = message.indexOf('\0');
        int second = first < 0 ? -1 : message.indexOf('\0', first + 1);
        if (second < 0 || message.indexOf('\0', second + 1) >= 0) {
            throw new MalformedCredentialsException(
                    "invalid PLAIN message: expected authorization id, login name and password separated by two NULs");
        }
        return new Credentials(message.substring(0, first), message.substring(first + 1, second),
                message.substring(second + 1)).validate();
    }

    /** Encodes credentials as a PLAIN message in base64. */
    public static String encodePlain(Credentials credentials) {
        String message = credentials.authorizationId() + '\0' + credentials.authenticationId() + '\0'
                + credentials.password();
        return encodeText(message);
    }

    /**
     * Decodes base64 into UTF-8 text, as for each response of the LOGIN mechanism.
     *
     * @throws MalformedCredentialsException on bad base64 or bad UTF-8
     */
    public static String decodeText(String base64) throws MalformedCredentialsException {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new MalformedCredentialsException("invalid base64 in the SASL response");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedCredentialsException("the SASL response is not valid UTF-8");
        }
    }

    public static String encodeText(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
