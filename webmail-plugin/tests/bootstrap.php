<?php

/*
 * Loads the plugin's library classes and the test helpers. The unit tests need no Roundcube
 * code apart from rcube_plugin, which MailpinPluginTest loads itself.
 */

require_once __DIR__ . '/../mailpin/lib/mailpin_gate.php';
require_once __DIR__ . '/support/route_signer.php';
