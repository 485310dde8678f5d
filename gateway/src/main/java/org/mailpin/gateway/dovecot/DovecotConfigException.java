package org.mailpin.gateway.dovecot;

/** A Dovecot configuration that cannot be read or translated. The message names the file and line. */
public class DovecotConfigException extends RuntimeException {

    public DovecotConfigException(String message) {
        super(message);
    }

    public DovecotConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    static DovecotConfigException at(String file, int line, String problem) {
        return new DovecotConfigException(file + " line " + line + ": " + problem);
    }
}
