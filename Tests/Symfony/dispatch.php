<?php
// php Tests/Symfony/dispatch.php DSN TABLE QUEUE COUNT: Symfony's own MessageBus sends COUNT Probe
// messages (label p0, p1, ...) through its Doctrine transport with its JSON serializer, as a Symfony
// application configured with `serializer: messenger.transport.symfony_serializer` would.
namespace App\Message;
foreach (['Messenger', 'Messenger/Bridge/Doctrine', 'Serializer', 'PropertyAccess'] as $c) require "/usr/share/php/Symfony/Component/$c/autoload.php";
require '/usr/share/php/Doctrine/DBAL/autoload.php';
use Doctrine\DBAL\DriverManager;
use Symfony\Component\Messenger\Bridge\Doctrine\Transport\{Connection, DoctrineTransport};
use Symfony\Component\Messenger\{MessageBus, Envelope};
use Symfony\Component\Messenger\Middleware\SendMessageMiddleware;
use Symfony\Component\Messenger\Transport\Sender\SendersLocator;
use Symfony\Component\Messenger\Transport\Serialization\Serializer;
use Symfony\Component\Messenger\Stamp\DelayStamp;
class Probe { public function __construct(public string $label) {} }
[$_, $dsn, $table, $queue, $count] = $argv;
$dbal = DriverManager::getConnection(['url' => $dsn]);
$transport = new DoctrineTransport(new Connection(['table_name' => $table, 'queue_name' => $queue, 'auto_setup' => false, 'redeliver_timeout' => 3600], $dbal), Serializer::create());
$container = new class($transport) implements \Psr\Container\ContainerInterface {
    public function __construct(private $t) {}
    public function get(string $id): mixed { return $this->t; }
    public function has(string $id): bool { return $id === 'async'; }
};
$bus = new MessageBus([new SendMessageMiddleware(new SendersLocator([Probe::class => ['async']], $container))]);
for ($i = 0; $i < (int)$count; $i++) $bus->dispatch(new Probe("p$i"));
echo "dispatched $count\n";
