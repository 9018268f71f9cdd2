<?php
// php Tests/Symfony/failed.php DSN TABLE QUEUE show|retry: the failure transport (queue QUEUE of the
// table) as Symfony's messenger:failed:show and messenger:failed:retry --force see it. `show` prints
// one line per message: "message ID CLASS error=ERROR_CLASS: MESSAGE from=ORIGINAL_TRANSPORT
// retries=N"; `retry` handles each with Symfony's bus, as received from the failure transport, and
// removes it when handled (a failing one stays, as Symfony's command leaves it).
namespace App\Message;
require __DIR__ . '/bootstrap.php';
use Symfony\Component\Messenger\Stamp\{ErrorDetailsStamp, ReceivedStamp, RedeliveryStamp, SentToFailureTransportStamp, TransportMessageIdStamp};

[$_, $dsn, $table, $queue, $action] = $argv;
$failure = transport($dsn, $table, $queue);
$bus = bus();
foreach ($failure->all() as $envelope) {
    $id = $envelope->last(TransportMessageIdStamp::class)->getId();
    if ($action === 'show') {
        $error = $envelope->last(ErrorDetailsStamp::class);
        printf("message %s %s error=%s: %s from=%s retries=%d\n", $id, get_class($envelope->getMessage()),
            $error?->getExceptionClass(), $error?->getExceptionMessage(),
            $envelope->last(SentToFailureTransportStamp::class)?->getOriginalReceiverName(),
            $envelope->last(RedeliveryStamp::class)?->getRetryCount() ?? 0);
        continue;
    }
    $found = $failure->find($id);
    $bus->dispatch($found->with(new ReceivedStamp($queue)));
    $failure->ack($found);
    echo "retried {$found->getMessage()->label}\n";
}
