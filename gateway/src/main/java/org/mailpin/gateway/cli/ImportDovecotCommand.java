package org.mailpin.gateway.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mailpin.director.IpAddresses;
import org.mailpin.gateway.dovecot.ConfigNode.Section;
import org.mailpin.gateway.dovecot.DirectorImporter;
import org.mailpin.gateway.dovecot.DovecotConfigException;
import org.mailpin.gateway.dovecot.DovecotConfigParser;
import org.mailpin.gateway.dovecot.ImportNote;
import org.mailpin.gateway.dovecot.ImportedConfig;
import org.mailpin.gateway.dovecot.MailpinYaml;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Translates a Dovecot 2.3 director configuration into a Mailpin config. What cannot be translated
 * is listed at the top of the output and on standard error.
 */
@Command(name = "import-dovecot", mixinStandardHelpOptions = true,
        description = {"Write a Mailpin config equivalent to a Dovecot 2.3 director configuration FILE (dovecot.conf, "
                + "a conf.d file or the output of doveconf -n).",
                "Exit code 0: written; 64: usage error; 73: OUT cannot be written; 78: FILE cannot be read or has "
                + "a bad value, nothing written."})
final class ImportDovecotCommand implements Callable<Integer> {

    /** Exit code when the output file cannot be created, as sysexits' EX_CANTCREAT. */
    static final int EXIT_CANNOT_CREATE = 73;

    @Parameters(paramLabel = "FILE", description = "Dovecot configuration file of the director node")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Write the Mailpin YAML here instead of "
            + "to standard output; the placeholder secret files are expected next to it")
    Path output;

    @Option(names = "--force", description = "Replace OUT if it exists")
    boolean force;

    @Option(names = "--host", paramLabel = "NAME=IP[,IP...]", description = "IP addresses of a host name in "
            + "director_mail_servers, as Dovecot resolved it; repeat for each name, e.g. --host backend1=10.0.0.11")
    List<String> hostMappings = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Map<String, List<String>> hosts = hosts();
        ImportedConfig imported;
        try {
            Section root = new DovecotConfigParser(file.toString()).parse(read(file));
            imported = new DirectorImporter(file.toString(), hosts).translate(file, root);
        } catch (DovecotConfigException e) {
            System.err.println("mailpin: import failed: " + e.getMessage());
            return MailpinCommand.EXIT_CONFIG;
        }

        String yaml = MailpinYaml.render(imported);
        if (output == null) {
            System.out.print(yaml);
        } else {
            try {
                write(output, yaml);
            } catch (FileAlreadyExistsException e) {
                System.err.println("mailpin: " + output + " exists; choose another --output or add --force");
                return EXIT_CANNOT_CREATE;
            } catch (IOException e) {
                System.err.println("mailpin: cannot write " + output + ": " + e.getMessage());
                return EXIT_CANNOT_CREATE;
            }
        }
        report(imported);
        return 0;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DovecotConfigException(file + " not found", e);
        } catch (IOException e) {
            throw new DovecotConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void write(Path target, String yaml) throws IOException {
        if (force) {
            Files.writeString(target, yaml, StandardCharsets.UTF_8);
        } else {
            Files.writeString(target, yaml, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
        }
    }

    /** Lists every note on standard error, so a script that keeps only the YAML still shows them. */
    private void report(ImportedConfig imported) {
        List<ImportNote> notes = new ArrayList<>(MailpinYaml.placeholderNotes());
        notes.addAll(imported.notes());
        for (ImportNote note : notes) {
            String label = switch (note.kind()) {
                case ACTION -> "to do";
                case UNTRANSLATED -> "warning: not translated";
                case NOT_NEEDED -> "not needed";
            };
            System.err.println("mailpin: " + label + ": " + note.located());
        }
        int listeners = imported.mail() == null ? 0 : imported.mail().listeners().size();
        int members = imported.cluster() == null ? 1 : imported.cluster().members().size();
        System.err.println("mailpin: " + (output == null ? "printed" : "wrote " + output) + ": "
                + imported.backends().list().size() + " backends, " + members + " cluster "
                + (members == 1 ? "member" : "members") + ", " + listeners + " mail listeners; the notes above are "
                + "also at the top of the config");
    }

    private Map<String, List<String>> hosts() {
        Map<String, List<String>> hosts = new HashMap<>();
        for (String mapping : hostMappings) {
            int equals = mapping.indexOf('=');
            if (equals <= 0 || equals == mapping.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid --host '" + mapping
                        + "'; expected NAME=IP[,IP...], e.g. backend1=10.0.0.11");
            }
            List<String> addresses = new ArrayList<>();
            for (String address : mapping.substring(equals + 1).split(",")) {
                try {
                    addresses.add(IpAddresses.canonical(address));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--host " + mapping + ": "
                            + e.getMessage());
                }
            }
            hosts.put(mapping.substring(0, equals).strip().toLowerCase(Locale.ROOT), List.copyOf(addresses));
        }
        return hosts;
    }
}
