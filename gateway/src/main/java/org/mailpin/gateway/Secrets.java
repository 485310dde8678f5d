package org.mailpin.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.mailpin.gateway.config.ConfigException;

/** Reads secrets from files named in the config; the values never reach a log or a toString. */
public final class Secrets {

    private Secrets() {
    }

    /** Reads a file and strips surrounding whitespace; the config key is named in any error. */
    public static String read(Path file, String key) {
        try {
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                throw new ConfigException(key + ": the file " + file + " is empty; write the secret into it");
            }
            return value;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(key + ": " + file + " not found; create it with the secret in it", e);
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
    }
}
