<?php
// php Tests/Symfony/consume.php DSN TABLE QUEUE COUNT: Symfony's Doctrine transport receives COUNT
// messages and Symfony's MessageBus handles them, as its Worker does (without the event dispatcher,
// not installed), printing "handled LABEL" for each Probe.
namespace App\Message;
require __DIR__ . '/bootstrap.php';
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Handler\HandlersLocator;
use Symfony\Component\Messenger\Middleware\HandleMessageMiddleware;
use Symfony\Component\Messenger\Stamp\ReceivedStamp;

[$_, $dsn, $table, $queue, $count] = $argv;
$transport = transport($dsn, $table, $queue);
$handled = 0;
$bus = new MessageBus([new HandleMessageMiddleware(new HandlersLocator([Probe::class => [function (Probe $probe) use (&$handled) {
    echo "handled {$probe->label}\n";
    $handled++;
}]]))]);
// Stops once COUNT messages are handled, as `messenger:consume --limit` does.
while ($handled < (int)$count) {
    $envelopes = $transport->get();
    foreach ($envelopes as $envelope) {
        $bus->dispatch($envelope->with(new ReceivedStamp('async')));
        $transport->ack($envelope);
    }
    if (!$envelopes) usleep(50000);
}
echo "done $handled\n";
