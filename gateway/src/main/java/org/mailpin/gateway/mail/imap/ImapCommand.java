package org.mailpin.gateway.mail.imap;

import java.util.List;

/**
 * One client command before login.
 *
 * @param tag   the client's tag, echoed in the tagged reply
 * @param name  the command name in upper case, e.g. {@code LOGIN}
 * @param args  the arguments; {@code toString()} shows only their count, because they carry passwords
 */
record ImapCommand(String tag, String name, List<ImapArg> args) {

    ImapCommand {
        args = List.copyOf(args);
    }

    @Override
    public String toString() {
        return "ImapCommand[tag=" + tag + ", name=" + name + ", " + args.size() + " argument(s)]";
    }
}
