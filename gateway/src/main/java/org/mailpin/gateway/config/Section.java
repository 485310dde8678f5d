package org.mailpin.gateway.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One mapping of the YAML file with typed getters. Every getter that finds a bad value throws a
 * {@link ConfigException} naming the file, line, key and the expected form.
 */
final class Section {

    private final YamlDocument document;
    private final JsonNode node;
    private final String path;

    Section(YamlDocument document, JsonNode node, String path) {
        this.document = document;
        this.node = node;
        this.path = path;
        if (node != null && !node.isMissingNode() && !node.isNull() && !node.isObject()) {
            throw error(path, "expected a mapping of keys");
        }
    }

    /** Rejects keys this section does not define, so a typo never silently falls back to a default. */
    Section allowOnly(String... keys) {
        if (!present()) {
            return this;
        }
        Set<String> known = Set.of(keys);
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw error(key(name), "unknown key; expected one of " + String.join(", ", keys));
            }
        }
        return this;
    }

    boolean present() {
        return node != null && !node.isMissingNode() && !node.isNull();
    }

    boolean has(String name) {
        return present() && node.has(name) && !node.get(name).isNull();
    }

    Section section(String name) {
        return new Section(document, present() ? node.get(name) : null, key(name));
    }

    List<Section> list(String name) {
        List<Section> items = new ArrayList<>();
        if (!has(name)) {
            return items;
        }
        JsonNode array = node.get(name);
        if (!array.isArray()) {
            throw error(key(name), "expected a list");
        }
        for (int i = 0; i < array.size(); i++) {
            items.add(new Section(document, array.get(i), key(name) + "[" + i + "]"));
        }
        return items;
    }

    List<String> strings(String name, List<String> fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode array = node.get(name);
        if (!array.isArray()) {
            throw error(key(name), "expected a list of strings, e.g. [\"a\", \"b\"]");
        }
        List<String> values = new ArrayList<>();
        array.forEach(item -> values.add(item.asText()));
        return values;
    }

    String string(String name, String fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode value = node.get(name);
        if (!value.isValueNode()) {
            throw error(key(name), "expected a single value");
        }
        return value.asText();
    }

    String requiredString(String name, String example) {
        String value = string(name, null);
        if (value == null || value.isBlank()) {
            throw error(key(name), "missing; expected e.g. " + example);
        }
        return value;
    }

    boolean bool(String name, boolean fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode value = node.get(name);
        if (!value.isBoolean()) {
            throw error(key(name), "invalid value '" + value.asText() + "'; expected true or false");
        }
        return value.asBoolean();
    }

    int integer(String name, int fallback, int min, int max) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode value = node.get(name);
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < min || value.asInt() > max) {
            throw error(key(name), "invalid value '" + value.asText() + "'; expected a whole number from "
                    + min + " to " + max);
        }
        return value.asInt();
    }

    Duration duration(String name, Duration fallback) {
        return parsed(name, fallback, Units::duration);
    }

    long size(String name, long fallback) {
        return parsed(name, fallback, Units::size);
    }

    URI uri(String name) {
        String text = requiredString(name, "http://127.0.0.21:8081/");
        return parsed(name, null, t -> {
            URI uri = URI.create(t);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("invalid URL '" + t + "': expected http://HOST:PORT/ or https://...");
            }
            return uri;
        });
    }

    Path path(String name) {
        String text = string(name, null);
        if (text == null) {
            return null;
        }
        Path file = Path.of(text);
        return file.isAbsolute() ? file : document.file().toAbsolutePath().getParent().resolve(file);
    }

    <T> T parsed(String name, T fallback, Function<String, T> parser) {
        String text = string(name, null);
        if (text == null) {
            return fallback;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw error(key(name), e.getMessage());
        }
    }

    ConfigException error(String key, String problem) {
        return new ConfigException(document.where(key) + ": " + problem);
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
