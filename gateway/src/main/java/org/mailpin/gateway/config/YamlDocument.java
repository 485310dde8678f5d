package org.mailpin.gateway.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * A parsed YAML file that remembers the line of every key, so validation errors can say
 * "line 12, key web.listen" rather than only what is wrong.
 */
final class YamlDocument {

    private static final YAMLFactory YAML = new YAMLFactory();

    private final Path file;
    private final JsonNode root;
    private final Map<String, Integer> lines;

    private YamlDocument(Path file, JsonNode root, Map<String, Integer> lines) {
        this.file = file;
        this.root = root;
        this.lines = lines;
    }

    static YamlDocument read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("config file " + file + " not found", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }

        try {
            // A key given twice would otherwise keep its last value without a word.
            JsonNode root = new ObjectMapper(YAML)
                    .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                    .readTree(text);
            return new YamlDocument(file, root == null ? new ObjectMapper().createObjectNode() : root, keyLines(text));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " line " + e.getLocation().getLineNr();
            throw new ConfigException(file + line + ": invalid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": invalid YAML: " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    JsonNode root() {
        return root;
    }

    /** Returns "FILE line N, key PATH" for error messages, or "FILE, key PATH" when the key is absent. */
    String where(String path) {
        Integer line = lines.get(path);
        return file + (line == null ? "" : " line " + line) + ", key " + path;
    }

    // Walks the token stream once, tracking the dotted path (list items as name[i]).
    private static Map<String, Integer> keyLines(String text) throws IOException {
        Map<String, Integer> lines = new HashMap<>();
        Deque<String> path = new ArrayDeque<>();
        Deque<int[]> arrayIndex = new ArrayDeque<>();
        try (JsonParser parser = YAML.createParser(text)) {
            String pendingField = null;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                switch (token) {
                    case FIELD_NAME -> {
                        pendingField = parser.currentName();
                        lines.put(join(path, pendingField), parser.currentTokenLocation().getLineNr());
                    }
                    case START_OBJECT, START_ARRAY -> {
                        String segment = segment(pendingField, arrayIndex, path);
                        if (segment != null) {
                            path.addLast(segment);
                        }
                        arrayIndex.push(token == JsonToken.START_ARRAY ? new int[] {0} : new int[] {-1});
                        pendingField = null;
                    }
                    case END_OBJECT, END_ARRAY -> {
                        arrayIndex.pop();
                        if (!path.isEmpty() && !arrayIndex.isEmpty()) {
                            path.removeLast();
                        }
                        advanceArray(arrayIndex);
                    }
                    default -> {
                        pendingField = null;
                        advanceArray(arrayIndex);
                    }
                }
            }
        }
        return lines;
    }

    private static String segment(String field, Deque<int[]> arrayIndex, Deque<String> path) {
        if (arrayIndex.isEmpty()) {
            return null;
        }
        int[] index = arrayIndex.peek();
        if (index[0] >= 0) {
            String last = path.isEmpty() ? "" : path.removeLast();
            path.addLast(last);
            return "[" + index[0] + "]";
        }
        return field;
    }

    private static void advanceArray(Deque<int[]> arrayIndex) {
        if (!arrayIndex.isEmpty() && arrayIndex.peek()[0] >= 0) {
            arrayIndex.peek()[0]++;
        }
    }

    private static String join(Deque<String> path, String field) {
        StringBuilder key = new StringBuilder();
        for (String segment : path) {
            if (!segment.startsWith("[") && key.length() > 0) {
                key.append('.');
            }
            key.append(segment);
        }
        if (key.length() > 0) {
            key.append('.');
        }
        return key.append(field).toString();
    }
}
