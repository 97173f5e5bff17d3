pub struct NodeAgent;
