package org.mailpin.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.gateway.config.ConfigException;

class SecretsTest {

    @TempDir
    Path folder;

    @Test
    void readStripsSurroundingWhitespace() throws IOException {
        Path file = Files.writeString(folder.resolve("secret"), "  s3cret value\r\n\n");

        assertEquals("s3cret value", Secrets.read(file, "web.secret-file"));
    }

    @Test
    void emptyFileRejected() throws IOException {
        Path file = Files.writeString(folder.resolve("secret"), "\n\t \n");

        ConfigException error = assertThrows(ConfigException.class, () -> Secrets.read(file, "web.secret-file"));

        assertEquals("web.secret-file: the file " + file + " is empty; write the secret into it", error.getMessage());
    }

    @Test
    void missingFileRejected() {
        Path file = folder.resolve("absent");

        ConfigException error = assertThrows(ConfigException.class, () -> Secrets.read(file, "admin.token-file"));

        assertTrue(error.getMessage().startsWith("admin.token-file: " + file + " not found"),
                error.getMessage());
    }

    @Test
    void errorNeverContainsSecret() throws IOException {
        Path file = Files.write(folder.resolve("secret"), new byte[] {'s', '3', 'c', (byte) 0xff, 'r', 't'});

        ConfigException error = assertThrows(ConfigException.class, () -> Secrets.read(file, "web.secret-file"));

        assertTrue(error.getMessage().startsWith("web.secret-file: cannot read " + file), error.getMessage());
        assertFalse(error.getMessage().contains("s3c"), error.getMessage());
    }
}
