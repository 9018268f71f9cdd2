<?php
// What the shared-queue tests' PHP programs share: Debian's Symfony Messenger 5.4 and Doctrine DBAL,
// the application's Probe message, and Symfony's Doctrine transport with its JSON serializer (as a
// Symfony application configured with `serializer: messenger.transport.symfony_serializer`).
namespace App\Message;
foreach (['Messenger', 'Messenger/Bridge/Doctrine', 'Serializer', 'PropertyAccess'] as $c) require "/usr/share/php/Symfony/Component/$c/autoload.php";
require '/usr/share/php/Doctrine/DBAL/autoload.php';
use Doctrine\DBAL\DriverManager;
use Symfony\Component\Messenger\Bridge\Doctrine\Transport\{Connection, DoctrineTransport};
use Symfony\Component\Messenger\Transport\Serialization\Serializer;

class Probe { public function __construct(public string $label) {} }

function transport(string $dsn, string $table, string $queue): DoctrineTransport {
    $dbal = DriverManager::getConnection(['url' => $dsn]);
    $options = ['table_name' => $table, 'queue_name' => $queue, 'auto_setup' => false, 'redeliver_timeout' => 3600];
    return new DoctrineTransport(new Connection($options, $dbal), Serializer::create());
}
