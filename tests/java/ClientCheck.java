// Kafka's Java client against a Shoal cluster, run by tests/python/wire/test_kafka_tools.py as a
// single-file program (java -cp <kafka libs>/* ClientCheck.java BOOTSTRAP): creates a topic,
// produces keyed records, reads half in a group of one with commits, rebalances when a second
// member joins, reads the rest, checks the committed offsets, describes and deletes the topic.
// Prints "KEY <key> <partition>" for each key, then REBALANCED and DONE; exits 1 on a failure.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class ClientCheck {
  static final String TOPIC = "java-topic";
  static final String GROUP = "java-group";
  static final int PARTITIONS = 6;
  static final int RECORDS = 400;
  static final int KEYS = 40;

  static void check(boolean ok, String what) {
    if (!ok) {
      System.out.println("FAILED: " + what);
      System.exit(1);
    }
  }

  public static void main(String[] args) throws Exception {
    String bs = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
    try (Admin admin = Admin.create(ap)) {
      admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3))).all().get(30, TimeUnit.SECONDS);

      Properties pp = new Properties();
      pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
      pp.put(ProducerConfig.ACKS_CONFIG, "all");  // idempotence is on by default
      pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      Map<String, Integer> placed = new TreeMap<>();
      KafkaProducer<String, String> producer = new KafkaProducer<>(pp);
      java.util.function.BiConsumer<Integer, Integer> produce = (lo, hi) -> {
        try {
          for (int i = lo; i < hi; i++) {
            String key = "key-" + (i % KEYS);
            RecordMetadata md = producer.send(new ProducerRecord<>(TOPIC, key, "v" + i)).get();
            Integer before = placed.putIfAbsent(key, md.partition());
            check(before == null || before == md.partition(), "a key moved between partitions");
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };

      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
      cp.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      Set<String> seen = new HashSet<>();
      produce.accept(0, RECORDS / 2);
      KafkaConsumer<String, String> first = new KafkaConsumer<>(cp);
      first.subscribe(List.of(TOPIC));
      while (seen.size() < RECORDS / 2) {
        check(System.nanoTime() < deadline, "the first member read " + seen.size());
        for (ConsumerRecord<String, String> r : first.poll(Duration.ofMillis(200))) {
          seen.add(r.partition() + "/" + r.offset());
        }
        first.commitSync();
      }
      KafkaConsumer<String, String> second = new KafkaConsumer<>(cp);
      second.subscribe(List.of(TOPIC));
      List<KafkaConsumer<String, String>> both = List.of(first, second);
      while (true) {
        Set<TopicPartition> a = first.assignment(), b = second.assignment();
        Set<TopicPartition> all = new HashSet<>(a);
        all.addAll(b);
        if (!a.isEmpty() && !b.isEmpty() && all.size() == a.size() + b.size()
            && all.size() == PARTITIONS) {
          break;
        }
        check(System.nanoTime() < deadline, "no rebalance: " + a + " and " + b);
        for (KafkaConsumer<String, String> c : both) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
            seen.add(r.partition() + "/" + r.offset());
          }
        }
      }
      System.out.println("REBALANCED " + first.assignment() + " " + second.assignment());
      produce.accept(RECORDS / 2, RECORDS);
      producer.close();
      while (seen.size() < RECORDS) {
        check(System.nanoTime() < deadline, "the group read " + seen.size());
        for (KafkaConsumer<String, String> c : both) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
            check(c.assignment().contains(new TopicPartition(TOPIC, r.partition())),
                  "a member read a partition it does not hold");
            seen.add(r.partition() + "/" + r.offset());
          }
          c.commitSync();
        }
      }
      first.close();
      second.close();
      for (Map.Entry<String, Integer> e : placed.entrySet()) {
        System.out.println("KEY " + e.getKey() + " " + e.getValue());
      }
      long committed = 0;
      for (OffsetAndMetadata o : admin.listConsumerGroupOffsets(GROUP)
               .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).values()) {
        committed += o.offset();
      }
      check(committed == RECORDS, "committed " + committed);
      TopicDescription d = admin.describeTopics(List.of(TOPIC)).allTopicNames()
                               .get(30, TimeUnit.SECONDS).get(TOPIC);
      check(d.partitions().size() == PARTITIONS, "described " + d.partitions().size());
      admin.deleteTopics(List.of(TOPIC)).all().get(30, TimeUnit.SECONDS);
    }
    System.out.println("DONE");
  }
}
