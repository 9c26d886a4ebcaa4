package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission's race between a released slot going to a waiter and that waiter's own end (its
 * queue timeout firing, or its client withdrawing it) at the same moment, on real threads: one
 * outcome only, and the slot is neither lost nor counted twice.
 */
class AdmissionClaimTest {
    private static final int ROUNDS = 2_000;

    private final DefaultEventLoop waiterLoop = new DefaultEventLoop();
    private final AtomicInteger waits = new AtomicInteger();

    @AfterEach
    void stopLoop() {
        waiterLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Counts what a waiter was told; the calls land on its event loop. */
    private static final class Outcome implements Admission.Listener {
        final AtomicInteger admitted = new AtomicInteger();
        final AtomicInteger timedOut = new AtomicInteger();

        @Override
        public void admitted() {
            admitted.incrementAndGet();
        }

        @Override
        public void rejected(Admission.Rejection reason) {
            assertThat(reason).isEqualTo(Admission.Rejection.QUEUE_TIMEOUT);
            timedOut.incrementAndGet();
        }
    }

    @Test
    void aReleaseRacingTheQueueTimeoutEitherAdmitsOrTimesOutAndKeepsTheSlot() throws Exception {
        var admission = new Admission(1, 1, Duration.ofNanos(1), nanos -> waits.incrementAndGet());
        var barrier = new CyclicBarrier(2);
        for (int round = 0; round < ROUNDS; round++) {
            admission.request(waiterLoop, new Outcome());
            assertThat(admission.inflight()).isEqualTo(1);
            // Hold the waiter's loop so its timer falls due, then let the loop run it just as
            // this thread releases the slot.
            var blocked = new CountDownLatch(1);
            waiterLoop.execute(() -> {
                blocked.countDown();
                await(barrier);
            });
            blocked.await();
            var waiter = new Outcome();
            admission.request(waiterLoop, waiter);
            await(barrier);
            admission.release();
            drain(waiterLoop);

            int told = waiter.admitted.get() + waiter.timedOut.get();
            assertThat(told).as("round %d: outcomes", round).isEqualTo(1);
            assertThat(admission.inflight()).as("round %d: slots in use", round).isEqualTo(waiter.admitted.get());
            assertThat(admission.queued()).isZero();
            assertThat(waits.getAndSet(0)).as("round %d: waits recorded", round).isEqualTo(1);
            if (waiter.admitted.get() == 1) {
                admission.release();
            }
            assertThat(admission.inflight()).isZero();
        }
    }

    @Test
    void aReleaseRacingAWithdrawalEitherAdmitsOrWithdrawsAndKeepsTheSlot() throws Exception {
        var admission = new Admission(1, 1, Duration.ZERO, nanos -> waits.incrementAndGet());
        var barrier = new CyclicBarrier(2);
        for (int round = 0; round < ROUNDS; round++) {
            admission.request(waiterLoop, new Outcome());
            var waiter = new Outcome();
            Runnable withdraw = admission.request(waiterLoop, waiter);
            assertThat(admission.queued()).isEqualTo(1);
            // The client goes away on its event loop while this thread releases the slot.
            waiterLoop.execute(() -> {
                await(barrier);
                withdraw.run();
            });
            await(barrier);
            admission.release();
            drain(waiterLoop);

            // A withdrawn waiter is told nothing; its slot went back to the pool.
            assertThat(waiter.timedOut.get()).isZero();
            assertThat(admission.inflight()).as("round %d: slots in use", round).isEqualTo(waiter.admitted.get());
            assertThat(admission.queued()).isZero();
            assertThat(waits.getAndSet(0)).as("round %d: waits recorded", round).isEqualTo(1);
            if (waiter.admitted.get() == 1) {
                admission.release();
            }
            assertThat(admission.inflight()).isZero();
        }
    }

    /** Runs everything already queued on {@code loop}, including what it queued itself. */
    private static void drain(EventExecutor loop) throws Exception {
        for (int i = 0; i < 2; i++) {
            loop.submit(() -> {}).get(10, TimeUnit.SECONDS);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
