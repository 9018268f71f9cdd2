<?php
// php Tests/Symfony/claim.php DSN TABLE QUEUE REDELIVER_TIMEOUT: Symfony's Doctrine transport (with
// that redeliver_timeout, in seconds) receives one message, prints "claimed LABEL" and exits without
// acknowledging it, as a Symfony worker that dies in the middle of a handler leaves it.
namespace App\Message;
require __DIR__ . '/bootstrap.php';

[$_, $dsn, $table, $queue, $timeout] = $argv;
$transport = transport($dsn, $table, $queue, (int)$timeout);
while (!($envelopes = $transport->get())) usleep(20000);
echo "claimed {$envelopes[0]->getMessage()->label}\n";
