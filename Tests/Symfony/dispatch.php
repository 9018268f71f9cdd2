<?php
// php Tests/Symfony/dispatch.php DSN TABLE QUEUE COUNT [--prefix=p] [--delay=MS] [--sleep=MS]
// [--class=Unmapped]: Symfony's own MessageBus sends COUNT Probe messages (labels PREFIX0, PREFIX1, ...;
// a DelayStamp, a handler's sleep, another message class when asked) through its Doctrine transport.
namespace App\Message;
require __DIR__ . '/bootstrap.php';
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Middleware\SendMessageMiddleware;
use Symfony\Component\Messenger\Stamp\DelayStamp;
use Symfony\Component\Messenger\Transport\Sender\SendersLocator;

[$_, $dsn, $table, $queue, $count] = $argv;
$options = options($argv);
$senders = new class(transport($dsn, $table, $queue)) implements \Psr\Container\ContainerInterface {
    public function __construct(private $transport) {}
    public function get(string $id): mixed { return $this->transport; }
    public function has(string $id): bool { return $id === 'async'; }
};
$bus = new MessageBus([new SendMessageMiddleware(new SendersLocator([Probe::class => ['async'], Unmapped::class => ['async']], $senders))]);
$class = __NAMESPACE__ . '\\' . ($options['class'] ?? 'Probe');
$stamps = isset($options['delay']) ? [new DelayStamp((int)$options['delay'])] : [];
for ($i = 0; $i < (int)$count; $i++) {
    $label = ($options['prefix'] ?? 'p') . $i;
    $bus->dispatch($class === Probe::class ? new Probe($label, isset($options['sleep']) ? (int)$options['sleep'] : null) : new $class($label), $stamps);
}
printf("dispatched %d %d\n", $count, (int)(microtime(true) * 1e6));
