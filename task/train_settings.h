// task/train_settings.h: the trainer's settings that a study's train and finetune stages set
// (worker/train/trainer.h runs them; its TrainOptions adds the optimizer constants, the device
// and the stop hook). Free of LibTorch so that the task spec embeds them (task_spec.h): each
// default is written here once.
//
// Defaults reproduce the seed reports' HF Trainer (docs/quantisation.md 5.1): lr 5e-5, no warmup,
// weight decay 0, gradient clipping at norm 1.0, batch 8, 1 epoch, seed 42.
// Thread-safety: a plain value type.
#ifndef NASQ_TASK_TRAIN_SETTINGS_H_
#define NASQ_TASK_TRAIN_SETTINGS_H_

#include <cstdint>
#include <optional>

namespace nasq {

// The learning rate of an unset TrainSettings::learning_rate (HF's default).
inline constexpr double kDefaultLearningRate = 5e-5;

struct TrainSettings {
  // Peak learning rate; unset means kDefaultLearningRate. (The task pipeline uses 1e-3 instead
  // for a randomly initialised model.)
  std::optional<double> learning_rate;
  int epochs = 1;
  int batch_size = 8;
  // Linear warm-up steps from 0 to the learning rate before the linear decay to 0.
  int64_t warmup_steps = 0;
  // Decoupled weight decay for weights other than biases and LayerNorm.
  double weight_decay = 0.0;
  // Clip the global gradient norm to this; <= 0 disables.
  double max_grad_norm = 1.0;
  // Batch examples of similar length together (HF group_by_length).
  bool group_by_length = false;
  // Seeds shuffling and dropout.
  uint64_t seed = 42;
  // Progress callback period in optimizer steps (one intermediate report per period).
  int64_t progress_every_steps = 50;
};

}  // namespace nasq

#endif  // NASQ_TASK_TRAIN_SETTINGS_H_
