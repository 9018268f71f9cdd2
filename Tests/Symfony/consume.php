<?php
// php Tests/Symfony/consume.php DSN TABLE QUEUE COUNT [--failed=QUEUE] [--pause=N]: Symfony's Doctrine
// transport receives COUNT messages (0: until SIGTERM, after the message in hand, as Symfony's worker stops)
// and Symfony's MessageBus handles them, as its Worker does (Debian does not
// package the event dispatcher the Worker needs): a message whose handler fails goes to the failure
// transport (queue QUEUE of the table) with the stamps Symfony's failure listeners add, and is
// rejected; it prints "failed LABEL". Transport errors (SQLite busy) are retried, as the Worker's
// supervisor would restart it. With --pause=N it prints "paused" after N messages and waits for
// SIGUSR1 (or SIGTERM) before it goes on, so that a test can start other workers meanwhile.
namespace App\Message;
require __DIR__ . '/bootstrap.php';
use Symfony\Component\Messenger\Exception\{HandlerFailedException, TransportException};
use Symfony\Component\Messenger\Stamp\{DelayStamp, ErrorDetailsStamp, ReceivedStamp, RedeliveryStamp, SentToFailureTransportStamp};

[$_, $dsn, $table, $queue, $count] = $argv;
$options = options($argv);
$transport = transport($dsn, $table, $queue);
$failure = isset($options['failed']) ? transport($dsn, $table, $options['failed']) : null;
$bus = bus();
$received = 0;
$stopped = false;
// How many messages before the pause; null once SIGUSR1 has ended it (or without --pause).
$pauseAfter = isset($options['pause']) ? (int)$options['pause'] : null;
pcntl_async_signals(true);
pcntl_signal(SIGTERM, function () use (&$stopped) { $stopped = true; });
pcntl_signal(SIGUSR1, function () use (&$pauseAfter) { $pauseAfter = null; });
while (!$stopped && ((int)$count === 0 || $received < (int)$count)) {
    try {
        $envelopes = $transport->get();
    } catch (TransportException $e) {
        fprintf(STDERR, "transport error: %s\n", $e->getMessage());
        $envelopes = [];
    }
    foreach ($envelopes as $envelope) {
        $received++;
        try {
            $bus->dispatch($envelope->with(new ReceivedStamp('async')));
        } catch (HandlerFailedException $e) {
            if (!$failure) throw $e;
            $failure->send($envelope->with(ErrorDetailsStamp::create($e), new SentToFailureTransportStamp('async'), new DelayStamp(0), new RedeliveryStamp(0)));
            echo "failed {$envelope->getMessage()->label}\n";
            $transport->reject($envelope);
            continue;
        }
        $transport->ack($envelope);
        if ($pauseAfter !== null && $received >= $pauseAfter) {
            echo "paused\n";
            // sleep() returns as soon as a signal has run its handler above.
            while ($pauseAfter !== null && !$stopped) sleep(1);
        }
    }
    if (!$envelopes) usleep(20000);
}
echo "done $received\n";
