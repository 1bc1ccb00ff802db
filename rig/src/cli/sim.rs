use crate::exit;

pub fn defects() -> i32 {
    println!("{:<26} MANUAL BEHAVIOUR IT BREAKS", "DEFECT");
    for d in rig_sim::Defect::ALL {
        println!("{:<26} {}", d.to_string(), d.breaks());
        println!("{:<26} {}", "", d.description());
    }
    exit::PASSED
}
