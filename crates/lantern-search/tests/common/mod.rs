pub mod miami;
