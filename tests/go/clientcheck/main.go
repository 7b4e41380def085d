// franz-go against a Shoal cluster, run by tests/python/wire/test_kafka_clients.py: creates a
// topic, produces keyed records (franz-go's default partitioner hashes keys with murmur2, as
// Kafka's Java client does), reads half in a group of one with commits, rebalances when a
// second member joins, reads the rest, checks the committed offsets, describes and deletes
// the topic. Prints "KEY <key> <partition>" for each key, then REBALANCED and DONE; exits 1
// on a failure.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	topic      = "franz-topic"
	group      = "franz-group"
	partitions = 6
	records    = 400
	keys       = 40
)

func check(ok bool, format string, args ...any) {
	if !ok {
		fmt.Printf("FAILED: "+format+"\n", args...)
		os.Exit(1)
	}
}

func must(err error, what string) {
	check(err == nil, "%s: %v", what, err)
}

func main() {
	seeds := strings.Split(os.Args[1], ",")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	admin, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	must(err, "admin client")
	adm := kadm.NewClient(admin)
	created, err := adm.CreateTopic(ctx, partitions, 3, nil, topic)
	must(err, "create topic")
	must(created.Err, "create topic")

	producer, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RequiredAcks(kgo.AllISRAcks()))
	must(err, "producer")
	placed := map[string]int32{}
	produce := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			key := fmt.Sprintf("key-%d", i%keys)
			r := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(fmt.Sprint(i))})
			rec, err := r.First()
			must(err, "produce")
			if p, ok := placed[key]; ok {
				check(p == rec.Partition, "key %s moved from %d to %d", key, p, rec.Partition)
			}
			placed[key] = rec.Partition
		}
	}

	member := func() *kgo.Client {
		c, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.DisableAutoCommit(), kgo.SessionTimeout(10*time.Second),
			kgo.HeartbeatInterval(500*time.Millisecond))
		must(err, "consumer")
		return c
	}
	seen := map[string]bool{}
	held := map[*kgo.Client]map[int32]bool{}
	poll := func(c *kgo.Client, checkHeld bool) {
		pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer pcancel()
		fetches := c.PollRecords(pctx, 100)
		fetches.EachError(func(t string, p int32, err error) {
			check(err == context.DeadlineExceeded || err == context.Canceled, "fetch %s/%d: %v", t, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if checkHeld {
				check(held[c][r.Partition], "a member read partition %d it does not hold", r.Partition)
			}
			seen[fmt.Sprintf("%d/%d", r.Partition, r.Offset)] = true
		})
		must(c.CommitUncommittedOffsets(ctx), "commit")
	}
	assigned := func(c *kgo.Client) map[int32]bool {
		out := map[int32]bool{}
		resp, err := adm.DescribeGroups(ctx, group)
		must(err, "describe group")
		id, _ := c.GroupMetadata()
		for _, m := range resp[group].Members {
			if m.MemberID != id {
				continue
			}
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range a.Topics {
					for _, p := range t.Partitions {
						out[p] = true
					}
				}
			}
		}
		return out
	}

	produce(0, records/2)
	first := member()
	for len(seen) < records/2 {
		check(ctx.Err() == nil, "the first member read %d", len(seen))
		poll(first, false)
	}
	second := member()
	for {
		check(ctx.Err() == nil, "no rebalance")
		poll(first, false)
		poll(second, false)
		a, b := assigned(first), assigned(second)
		overlap := false
		for p := range a {
			overlap = overlap || b[p]
		}
		if len(a) > 0 && len(b) > 0 && !overlap && len(a)+len(b) == partitions {
			held[first], held[second] = a, b
			break
		}
	}
	fmt.Println("REBALANCED")
	produce(records/2, records)
	for len(seen) < records {
		check(ctx.Err() == nil, "the group read %d", len(seen))
		poll(first, true)
		poll(second, true)
	}
	first.Close()
	second.Close()
	producer.Close()

	names := make([]string, 0, len(placed))
	for k := range placed {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("KEY %s %d\n", k, placed[k])
	}
	offsets, err := adm.FetchOffsets(ctx, group)
	must(err, "fetch offsets")
	var committed int64
	offsets.Each(func(o kadm.OffsetResponse) { committed += o.At })
	check(committed == records, "committed %d", committed)
	md, err := adm.Metadata(ctx, topic)
	must(err, "metadata")
	check(len(md.Topics[topic].Partitions) == partitions, "described %d partitions", len(md.Topics[topic].Partitions))
	deleted, err := adm.DeleteTopics(ctx, topic)
	must(err, "delete")
	must(deleted[topic].Err, "delete")
	admin.Close()
	fmt.Println("DONE")
}
