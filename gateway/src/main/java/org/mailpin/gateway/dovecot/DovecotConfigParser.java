package org.mailpin.gateway.dovecot;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.mailpin.gateway.dovecot.ConfigNode.Include;
import org.mailpin.gateway.dovecot.ConfigNode.Section;
import org.mailpin.gateway.dovecot.ConfigNode.Setting;

/**
 * Reads the syntax of a Dovecot 2.3 configuration file as {@code doveconf} 2.3.19 accepts it. Each
 * line contains one {@code key = value}, one section start ({@code service director} and an opening
 * brace), one closing brace or one {@code !include FILE}. A {@code #} outside quotes starts a
 * comment, and a trailing backslash joins a line with the next. The parser does not know which
 * settings exist, because the importer decides what each one means.
 */
public final class DovecotConfigParser {

    private final String file;

    /** A line after joining continuations and removing its comment, with the number it started on. */
    private record Line(String text, int number) {
    }

    /** A section still open, with the children read so far. */
    private record OpenSection(String type, String name, int line, List<ConfigNode> children) {
    }

    /** @param file  the file name used in error messages */
    public DovecotConfigParser(String file) {
        this.file = file;
    }

    /**
     * Parses the whole text into the top-level section, whose type and name are "".
     *
     * @throws DovecotConfigException on a syntax error, naming the line and what is expected there
     */
    public Section parse(String text) {
        Deque<OpenSection> open = new ArrayDeque<>();
        open.push(new OpenSection("", "", 0, new ArrayList<>()));
        for (Line line : lines(text)) {
            parseLine(line, open);
        }
        if (open.size() > 1) {
            OpenSection unclosed = open.peek();
            throw DovecotConfigException.at(file, unclosed.line(), "section '" + title(unclosed)
                    + "' is not closed; add a line with '}' after its last setting");
        }
        OpenSection root = open.pop();
        return new Section("", "", 0, List.copyOf(root.children()));
    }

    private void parseLine(Line line, Deque<OpenSection> open) {
        String text = line.text();
        if (text.equals("}")) {
            if (open.size() == 1) {
                throw DovecotConfigException.at(file, line.number(), "'}' without an open section; remove it");
            }
            OpenSection closed = open.pop();
            open.peek().children().add(new Section(closed.type(), closed.name(), closed.line(),
                    List.copyOf(closed.children())));
            return;
        }
        if (text.startsWith("!include")) {
            open.peek().children().add(include(line));
            return;
        }

        int keyEnd = 0;
        while (keyEnd < text.length() && !Character.isWhitespace(text.charAt(keyEnd)) && text.charAt(keyEnd) != '='
                && text.charAt(keyEnd) != '{') {
            keyEnd++;
        }
        String key = text.substring(0, keyEnd);
        String rest = text.substring(keyEnd).strip();
        if (key.isEmpty()) {
            throw DovecotConfigException.at(file, line.number(), "missing setting name in '" + text
                    + "'; expected 'key = value'");
        }
        if (rest.startsWith("=")) {
            open.peek().children().add(new Setting(key, unquote(rest.substring(1).strip()), line.number()));
            return;
        }
        int brace = rest.indexOf('{');
        if (brace >= 0) {
            if (brace != rest.length() - 1) {
                throw DovecotConfigException.at(file, line.number(), "text after '{' in '" + text
                        + "'; Dovecot reads one setting per line, so put each on its own line before the '}' line");
            }
            open.push(new OpenSection(key, unquote(rest.substring(0, brace).strip()), line.number(), new ArrayList<>()));
            return;
        }
        throw DovecotConfigException.at(file, line.number(), "cannot read '" + text
                + "'; expected 'key = value', 'section {', '}' or '!include FILE'");
    }

    private Include include(Line line) {
        String text = line.text();
        boolean optional = text.startsWith("!include_try");
        String directive = optional ? "!include_try" : "!include";
        if (text.length() == directive.length() || !Character.isWhitespace(text.charAt(directive.length()))) {
            throw DovecotConfigException.at(file, line.number(), "cannot read '" + text
                    + "'; expected '!include FILE' or '!include_try FILE'");
        }
        return new Include(unquote(text.substring(directive.length()).strip()), optional, line.number());
    }

    /** Splits the text into lines, joining backslash continuations and dropping comments and blank lines. */
    private List<Line> lines(String text) {
        List<Line> lines = new ArrayList<>();
        String[] raw = text.split("\r?\n", -1);
        for (int i = 0; i < raw.length; i++) {
            int number = i + 1;
            StringBuilder joined = new StringBuilder(raw[i].strip());
            while (endsWithContinuation(joined) && i + 1 < raw.length) {
                joined.setLength(joined.length() - 1);
                i++;
                joined.append(raw[i].strip());
            }
            String line = withoutComment(joined.toString()).strip();
            if (!line.isEmpty()) {
                lines.add(new Line(line, number));
            }
        }
        return lines;
    }

    private static boolean endsWithContinuation(CharSequence line) {
        return line.length() > 0 && line.charAt(line.length() - 1) == '\\';
    }

    // A '#' starts a comment anywhere outside quotes. doveconf only warns when no space precedes it.
    private static String withoutComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#') {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** Removes one pair of surrounding quotes. Double quotes also take backslash escapes. */
    static String unquote(String value) {
        if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
            return value.substring(1, value.length() - 1);
        }
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < value.length() - 1; i++) {
                char c = value.charAt(i);
                if (c == '\\' && i + 1 < value.length() - 1) {
                    c = value.charAt(++i);
                }
                out.append(c);
            }
            return out.toString();
        }
        return value;
    }

    private static String title(OpenSection section) {
        return section.name().isEmpty() ? section.type() : section.type() + " " + section.name();
    }
}
