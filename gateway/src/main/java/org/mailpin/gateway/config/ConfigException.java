package org.mailpin.gateway.config;

/** A configuration error; the message names the file, the line and the key, and what is expected. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
