<?php
// php Tests/Symfony/dispatch.php DSN TABLE QUEUE COUNT: Symfony's own MessageBus sends COUNT Probe
// messages (label p0, p1, ...) through its Doctrine transport.
namespace App\Message;
require __DIR__ . '/bootstrap.php';
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Middleware\SendMessageMiddleware;
use Symfony\Component\Messenger\Transport\Sender\SendersLocator;

[$_, $dsn, $table, $queue, $count] = $argv;
$senders = new class(transport($dsn, $table, $queue)) implements \Psr\Container\ContainerInterface {
    public function __construct(private $transport) {}
    public function get(string $id): mixed { return $this->transport; }
    public function has(string $id): bool { return $id === 'async'; }
};
$bus = new MessageBus([new SendMessageMiddleware(new SendersLocator([Probe::class => ['async']], $senders))]);
for ($i = 0; $i < (int)$count; $i++) $bus->dispatch(new Probe("p$i"));
echo "dispatched $count\n";
